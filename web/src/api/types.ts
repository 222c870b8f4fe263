// Names for the API's shapes, all generated from the OpenAPI document (schema.d.ts): nothing
// here is written by hand but the names, and the lists the screens iterate, which the compiler
// checks against the generated unions.
import type { Schemas } from "./client.ts";

export type Account = Schemas["Account"];
export type Role = Account["roles"][number];
export type SessionResponse = Schemas["Session"];
export type Shop = Schemas["Shop"];
export type DockingOffer = Schemas["DockingOffer"];
export type Product = Schemas["Product"];
export type ProductCategory = Product["category"];
export type Order = Schemas["Order"];
export type OrderState = Order["state"];
export type OrderItem = Schemas["OrderItem"];
export type OrderSummary = Schemas["OrderSummary"];
export type OrderSummaryPage = Schemas["OrderSummaryPage"];
export type Payment = Schemas["Payment"];
export type ImportJob = Schemas["ImportJob"];
export type Batch = Schemas["Batch"];
export type SalesSummary = Schemas["SalesSummary"];
export type VerifyResponse = Schemas["VerifyResult"];
export type VerifyCheck = VerifyResponse["checks"][number];
export type Certificate = Schemas["Certificate"];
export type PublicConfig = Schemas["PublicConfig"];
export type StatementPage = Schemas["StatementPage"];
export type ResalePurchase = Schemas["ResalePurchase"];

export const productCategories = [
  "game_card",
  "software_licence",
  "course_code",
  "subscription",
  "digital_content",
  "service_voucher",
] as const satisfies readonly ProductCategory[];

export const orderStates = [
  "awaiting_payment",
  "paid",
  "fulfilled",
  "expired",
  "refund_pending",
  "refunded",
  "failed",
] as const satisfies readonly OrderState[];

export type SignInAnswer = Schemas["SignIn"];
export type Passkey = Schemas["Passkey"];
