// Response schemas of public verification (api/http/routes/verify.ts) and of the chain settings a
// browser verifies with (api/http/routes/publicConfig.ts).
import { z } from "zod";
import { certificateSchema } from "../../../core/keys/certificateSchema.ts";
import { address, decimalString, hexString, isoDateTime } from "./common.ts";

const check = z.strictObject({ name: z.string(), status: z.enum(["pass", "fail", "skip"]), detail: z.string() });

/**
 * A verdict with the checks behind it. "unknown" and a malformed certificate carry only the
 * verdict, the reason and the checks; a verdict reached against the chain carries the rest.
 */
export const verifyResultSchema = z.strictObject({
  /** "expired": genuine, but the entitlement's on-chain expiry (a subscription period) has passed. */
  verdict: z.enum(["genuine", "unknown", "invalid", "expired"]),
  reason: z.string(),
  checks: z.array(check),
  checkedAgainst: z.literal("chain").optional(),
  foundBy: z.enum(["key", "certificate"]).optional(),
  entitlement: z
    .strictObject({
      state: z.string(),
      tokenId: decimalString.nullable(),
      owner: address.nullable(),
      /** ERC-4907: who may use it now (a renter), and until when; null when nobody. */
      user: address.nullable(),
      userExpires: isoDateTime.nullable(),
      /** The entitlement's own expiry (subscriptions); null when it never expires. */
      expiresAt: isoDateTime.nullable(),
    })
    .optional(),
  anchor: z.strictObject({ issuer: address.nullable(), block: decimalString.nullable() }).optional(),
  shop: z.strictObject({ id: decimalString, name: z.string().nullable(), slug: z.string().nullable() }).optional(),
  product: z.strictObject({ id: decimalString, name: z.string().nullable() }).optional(),
  batch: z.strictObject({ id: decimalString, root: hexString, anchor: z.strictObject({ transaction: hexString, block: decimalString }).nullable() }).optional(),
  sale: z.strictObject({ sold: z.boolean(), soldAt: isoDateTime.nullable() }).optional(),
  issuance: z.strictObject({ tokenId: decimalString, transaction: hexString, block: decimalString }).nullable().optional(),
  entitlementId: decimalString.nullable().optional(),
  /** The certificate that was checked, echoed when the request sent one. */
  certificate: certificateSchema.optional(),
});

/** What a browser needs to check things against the chain itself (GET /api/config/public). */
export const publicConfigSchema = z.strictObject({
  chainId: decimalString.nullable(),
  rpcUrl: z.string().nullable(),
  contracts: z
    .strictObject({ registry: address, entitlement: address, payment: address.nullable(), stablecoin: address.nullable(), ledgerAnchor: address.nullable() })
    .nullable(),
});
