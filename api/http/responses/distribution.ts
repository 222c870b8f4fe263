// Answers of the distribution routes (docs/distribution.md): invitations, sub-stores, markups,
// commission rates, referrals, the agent console and distributor payouts.
import { z } from "zod";
import { decimalString, isoDateTime } from "./common.ts";

export const agentInvitationSchema = z.strictObject({
  invitationId: decimalString,
  token: z.string().describe("Shown once: the link's secret; only its hash is stored"),
  url: z.string().describe("The link to send to the agent"),
  expiresAt: isoDateTime,
});

export const substoreSchema = z.strictObject({
  id: decimalString,
  shopId: decimalString,
  agentAccountId: decimalString,
  slug: z.string(),
  name: z.string(),
  colour: z.string(),
});

export const substoreStorefrontSchema = substoreSchema.extend({
  products: z.array(
    z.strictObject({
      productId: decimalString,
      name: z.string(),
      currency: z.string(),
      priceMinor: decimalString.describe("The merchant's list price plus the agent's markup, per unit"),
      markupMinor: decimalString,
    }),
  ),
});

export const markupBoundsSchema = z.strictObject({
  productId: decimalString,
  markupMinMinor: decimalString.nullable(),
  markupMaxMinor: decimalString.nullable(),
});

export const carriedProductSchema = z.strictObject({ productId: decimalString, markupMinor: decimalString });

export const commissionRatesSchema = z.strictObject({
  shopId: decimalString,
  productId: decimalString.nullable(),
  levelsBps: z.array(z.number().int()).nullable(),
});

export const shareCommissionSchema = z.strictObject({
  productId: decimalString,
  shopId: decimalString,
  level1Bps: z
    .number()
    .int()
    .describe(
      "The first-level commission a sharer earns, in basis points of the merchant's net (the product's override, else the shop's rate); 0 pays nothing",
    ),
  docked: z.boolean().describe("A docked listing pays no commission, so its level1Bps is 0"),
});

export const referralAttachedSchema = z.strictObject({
  attached: z.boolean().describe("False when the buyer already had an unexpired referrer in the shop (first touch wins)"),
  referrerAccountId: decimalString,
  expiresAt: isoDateTime,
});

export const agentOverviewSchema = z.strictObject({
  referralCode: z.string(),
  balances: z.array(z.strictObject({ currency: z.string(), heldMinor: decimalString, payableMinor: decimalString, payoutPendingMinor: decimalString })),
  earnings: z.array(z.strictObject({ orderId: z.string(), currency: z.string(), amountMinor: decimalString, at: isoDateTime })),
  referredBuyers: z.array(
    z.strictObject({ buyer: z.string().describe("Masked email"), shopId: decimalString, attachedAt: isoDateTime, expiresAt: isoDateTime }),
  ),
  substores: z.array(
    substoreSchema.omit({ agentAccountId: true }).extend({
      products: z.array(
        z.strictObject({
          productId: decimalString,
          name: z.string(),
          currency: z.string(),
          priceMinor: decimalString,
          markupMinor: decimalString,
          markupMinMinor: decimalString.nullable(),
          markupMaxMinor: decimalString.nullable(),
        }),
      ),
    }),
  ),
});
