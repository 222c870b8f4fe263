// Response schemas of the accounts routes (api/http/routes/accounts.ts).
import { z } from "zod";
import { roles } from "../../../core/roles.ts";
import { decimalString, isoDateTime } from "./common.ts";

export const accountSchema = z.strictObject({
  id: decimalString,
  email: z.string(),
  roles: z.array(z.enum(roles)),
  displayName: z.string().nullable(),
  createdAt: isoDateTime,
});

export const sessionSchema = z.strictObject({ account: accountSchema, token: z.string(), expiresAt: isoDateTime });
