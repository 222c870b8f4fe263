// Response schemas of the self-custody routes (api/http/routes/wallets.ts).
import { z } from "zod";
import { address, decimalString, isoDateTime } from "./common.ts";

export const siweNonceSchema = z.strictObject({ nonce: z.string(), expiresAt: isoDateTime, domain: z.string(), chainId: z.number().int() });

export const linkedWalletSchema = z.strictObject({ address, linkedAt: isoDateTime });
export const linkedWalletListSchema = z.strictObject({ items: z.array(linkedWalletSchema) });

export const withdrawalSchema = z.strictObject({ withdrawalId: decimalString, entitlementId: decimalString, wallet: address, state: z.literal("pending") });

export const creditedDepositsSchema = z.strictObject({
  credited: z.array(z.strictObject({ entitlementId: decimalString, tokenId: decimalString, accountId: decimalString, wallet: address })),
});

const typedDataField = z.strictObject({ name: z.string(), type: z.string() });

export const revealTypedDataSchema = z.strictObject({
  domain: z.strictObject({ name: z.string(), version: z.string(), chainId: z.number().int(), verifyingContract: address }),
  types: z.strictObject({ Reveal: z.array(typedDataField) }),
  primaryType: z.literal("Reveal"),
});

export const walletRevealSchema = z.strictObject({ entitlementId: decimalString, tokenId: decimalString, holder: address, code: z.string() });
