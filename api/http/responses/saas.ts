// Response schemas of the self-service merchant routes (api/http/routes/saas.ts, docs/saas.md).
import { z } from "zod";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

export const emailConfirmationSentSchema = z.strictObject({ sent: z.boolean().describe("false: the email is confirmed already") });
export const emailConfirmedSchema = z.strictObject({ accountId: decimalString, emailConfirmedAt: isoDateTime });

const level = z.enum(["unverified", "verified", "business"]);

export const shopProfileSchema = z.strictObject({
  shopId: decimalString,
  colour: z.string().nullable(),
  descriptionZh: z.string(),
  descriptionEn: z.string(),
  supportContact: z.string().nullable(),
  hasLogo: z.boolean(),
  plan: z.string(),
  verificationLevel: level,
  customDomain: z.string().nullable(),
  domainTxtName: z.string().nullable(),
  domainTxtValue: z.string().nullable(),
  domainVerifiedAt: isoDateTime.nullable(),
});

export const planSchema = z.strictObject({
  code: z.string(),
  name: z.string(),
  feeBps: z.number().int().nullable().describe("null: the platform's default fee (PLATFORM_FEE_BPS)"),
  productsMax: z.number().int(),
  keysMax: z.number().int(),
  apiKeysMax: z.number().int(),
  webhooksMax: z.number().int(),
  substoresMax: z.number().int(),
});
export const planListSchema = z.strictObject({ items: z.array(planSchema) });
export const planChangedSchema = z.strictObject({ from: z.string(), to: z.string() });

export const shopUsageSchema = z.strictObject({
  plan: planSchema,
  verificationLevel: level,
  usage: z.strictObject({
    products: z.number().int(),
    keysInStock: z.number().int(),
    substores: z.number().int(),
    webhooks: z.number().int(),
    /** The shop owner's live API keys (the plan's API keys limit is per account). */
    apiKeys: z.number().int(),
  }),
});

export const platformInvoiceSchema = z.strictObject({
  shopId: decimalString,
  month: z.string(),
  from: isoDateTime,
  to: isoDateTime,
  lines: z.array(
    z.strictObject({
      currency: z.string(),
      collection: z.enum(["platform", "merchant"]),
      salesMinor: decimalString,
      sales: z.number().int(),
      feesMinor: decimalString,
      refundedFeesMinor: decimalString,
      netFeesMinor: decimalString,
    }),
  ),
});

export const kycSubmissionSchema = z.strictObject({
  id: decimalString,
  shopId: decimalString,
  shopSlug: z.string(),
  levelRequested: z.enum(["verified", "business"]),
  status: z.enum(["pending", "approved", "rejected", "more_requested"]),
  documents: z.array(
    z.strictObject({
      id: decimalString,
      kind: z.enum(["identity", "business_licence", "address_proof", "other"]),
      contentType: z.enum(["image/png", "image/jpeg", "application/pdf"]),
      sizeBytes: z.number().int(),
      createdAt: isoDateTime,
    }),
  ),
  decisions: z.array(z.strictObject({ decision: z.enum(["approve", "reject", "request_more"]), reason: z.string(), createdAt: isoDateTime })),
  createdAt: isoDateTime,
  decidedAt: isoDateTime.nullable(),
});
export const kycListSchema = pageOf(kycSubmissionSchema);
export const kycDetailsSchema = z.strictObject({
  legalName: z.string(),
  idNumber: z.string(),
  country: z.string(),
  businessName: z.string().optional(),
  businessRegistration: z.string().optional(),
  address: z.string(),
});
export const kycReviewSchema = kycSubmissionSchema.extend({ details: kycDetailsSchema });
export const storefrontHostSchema = z.strictObject({ slug: z.string().nullable() });
