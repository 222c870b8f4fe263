// Answers of the webhook routes (docs/webhooks.md).
import { z } from "zod";
import { webhookEventTypes } from "../../services/webhooks/endpoints.ts";
import { decimalString, pageOf } from "./common.ts";

export const webhookEndpointSchema = z.strictObject({
  id: decimalString,
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(webhookEventTypes)),
  active: z.boolean(),
  createdAt: z.string(),
  pending: z.number().int(),
  secrets: z.array(z.strictObject({ id: decimalString, createdAt: z.string(), expiresAt: z.string().nullable() })),
});

/** Creation and rotation answer the new secret, once: it is stored only encrypted. */
export const webhookEndpointWithSecretSchema = webhookEndpointSchema.extend({ secret: z.string() });

export const shopWebhooksSchema = z.strictObject({ endpoints: z.array(webhookEndpointSchema), eventTypes: z.array(z.enum(webhookEventTypes)) });

export const webhookDeliverySchema = z.strictObject({
  id: decimalString,
  eventId: z.string(),
  type: z.string(),
  sequence: decimalString,
  state: z.enum(["pending", "delivered", "abandoned"]),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  replayOf: decimalString.nullable(),
  createdAt: z.string(),
  lastResponse: z.string().nullable(),
  lastDurationMs: z.number().int().nullable(),
});
export const webhookDeliveryPageSchema = pageOf(webhookDeliverySchema);

export const webhookReplaySchema = z.strictObject({ id: decimalString });

export const shopNoticeSchema = z.strictObject({
  id: decimalString,
  kind: z.enum(["stock_low", "stock_out"]),
  productId: decimalString.nullable(),
  productName: z.string(),
  available: z.number().int(),
  threshold: z.number().int(),
  createdAt: z.string(),
});
export const shopNoticePageSchema = pageOf(shopNoticeSchema);
