// Response schemas of the self-custody routes (api/http/routes/wallets.ts).
import { z } from "zod";
import { address, decimalString, hexString, isoDateTime } from "./common.ts";

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

/** The code and, released with it at reveal, the salt that lets the holder check the code against its certificate. */
export const walletRevealSchema = z.strictObject({ entitlementId: decimalString, tokenId: decimalString, holder: address, code: z.string(), salt: hexString });
