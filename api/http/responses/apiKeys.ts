// Response schemas of the API key routes (api/http/routes/apiKeys.ts). No answer but the
// creation's carries the secret.
import { z } from "zod";
import { apiKeyScopes } from "../../../core/roles.ts";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

export const apiKeySchema = z.strictObject({
  id: decimalString,
  name: z.string(),
  scopes: z.array(z.enum(apiKeyScopes)),
  hint: z.string().describe("The secret's prefix, id and first characters, to tell keys apart (never the secret)"),
  expiresAt: isoDateTime.nullable(),
  allowedNetworks: z.array(z.string()).describe("CIDR networks the key may be used from; empty: any address"),
  createdAt: isoDateTime,
  revokedAt: isoDateTime.nullable(),
  lastUsedAt: isoDateTime.nullable(),
});

export const createdApiKeySchema = z.strictObject({
  key: apiKeySchema,
  secret: z.string().describe("The key itself (`kl_live_…`), shown this once: only a keyed hash of it is stored"),
});

export const apiKeyPageSchema = pageOf(apiKeySchema);
