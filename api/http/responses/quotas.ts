// Response schemas of the merchant quota routes (api/http/routes/quotas.ts).
import { z } from "zod";
import { decimalString } from "./common.ts";

export const merchantQuotasSchema = z.strictObject({
  accountId: decimalString,
  shopsMax: z.number().int(),
  importsPerDayMax: z.number().int(),
  keysPerDayMax: z.number().int(),
  raised: z.boolean().describe("Whether an admin set these quotas (false: the self-service defaults)"),
  usage: z.strictObject({ shops: z.number().int(), importsToday: z.number().int(), keysToday: z.number().int() }),
});
