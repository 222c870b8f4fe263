// The shapes the API returns (api/http/routes/*.ts and the services they call). Money is a
// decimal string of integer minor units; ids are decimal strings.
export type Role = "buyer" | "merchant" | "reseller" | "auditor" | "admin";
export type Account = { id: string; email: string; roles: Role[]; displayName: string | null; createdAt: string };
export type SessionResponse = { account: Account; token: string; expiresAt: string };

export type Shop = { id: string; slug: string; name: string; description: string; issuerAddress: string | null; epayConfigured: boolean; createdAt: string };

export const productCategories = ["game_card", "software_licence", "course_code", "subscription", "digital_content", "service_voucher"] as const;
export type ProductCategory = (typeof productCategories)[number];

export type Product = {
  id: string; shopId: string; name: string; description: string; category: ProductCategory; priceMinor: string; currency: string;
  deliveryMode: "automatic" | "manual"; quantityMin: number; quantityMax: number; lowStockThreshold: number; resaleAllowed: boolean;
  royaltyBps: number; status: "active" | "paused"; stock: number | null; lowStock: boolean; pendingKeys: number;
};

export type OrderState = "awaiting_payment" | "paid" | "fulfilled" | "expired" | "refund_pending" | "refunded" | "failed";
export const orderStates: OrderState[] = ["awaiting_payment", "paid", "fulfilled", "expired", "refund_pending", "refunded", "failed"];

export type OrderItem = {
  entitlementId: string; keyId: string; batchId: string; leafIndex: number; state: "sealed" | "redeemed" | "revoked"; code: string | null;
  tokenId: string | null; issueState: string; issueTx: string | null; certificateUrl: string;
};

export type Order = {
  id: string; state: OrderState; shopId: string; productId: string; productName: string; quantity: number; unitPriceMinor: string;
  amountMinor: string; currency: string; paymentMethod: "epay" | "chain"; contact: string | null; expiresAt: string; paidAt: string | null;
  fulfilledAt: string | null; refundReason: string | null; createdAt: string; items: OrderItem[];
  /** What the merchant delivered by hand (manual-delivery products); only the buyer sees it. */
  manualDelivery: string | null;
};

export type OrderSummary = {
  id: string; state: OrderState; productId: string; productName: string; quantity: number; amountMinor: string; currency: string;
  contact: string | null; createdAt: string; paidAt: string | null; fulfilledAt: string | null; deliveryMode: string;
};

export type Payment = { method: "epay"; url: string } | { method: "chain"; paymentAddress: string | null; orderRef: string; asset: string | null; amountMinor: string; currency: string };
export type CreateOrderResponse = { order: Order; accessToken: string; payment: Payment };

export type ImportJob = {
  id: string; status: string; format: string; total: number; processed: number; percent: number; batchId: string | null;
  anchorState: string | null; anchorTx: string | null; error: unknown; createdAt: string; finishedAt: string | null;
};

export type Batch = {
  id: string; productId: string; keyCount: number; root: string | null; anchorState: string; anchorTx: string | null; anchorBlock: string | null;
  anchoredAt: string | null; createdAt: string; sold: number; available: number;
};

export type SalesSummary = {
  days: number;
  revenuePerDay: { day: string; currency: string; revenueMinor: string; orders: number }[];
  topProducts: { productId: string; name: string; currency: string; revenueMinor: string; units: number }[];
};

export type VerifyCheck = { name: string; status: "pass" | "fail" | "skip"; detail: string };
export type VerifyResponse = {
  verdict: "genuine" | "unknown" | "invalid";
  reason?: string;
  checkedAgainst?: "chain";
  foundBy?: "key" | "certificate";
  checks: VerifyCheck[];
  entitlement?: { state: string; tokenId: string | null; owner: string | null };
  anchor?: { issuer: string | null; block: string | null };
  shop?: { id: string; name: string | null; slug: string | null };
  product?: { id: string; name: string | null };
  batch?: { id: string; root: string; anchor: { transaction: string; block: string } | null };
  sale?: { sold: boolean; soldAt: string | null };
  certificate?: Certificate;
};

/** docs/certificate.md, keyledger-certificate/2 (and /1, which always carried the salt). */
export type Certificate = {
  version: string;
  chain: { chainId: string; registry: string; entitlement: string };
  shop: { id: string; issuer: string | null };
  productId: string;
  batch: { id: string; root: string; keyCount: number; anchor: { transaction: string; block: string } | null };
  leaf: { index: number; scheme: string; fields: string[]; types: string[]; values: string[]; hash: string };
  /** salt null: withheld while the entitlement is sealed (version 2). */
  commitment: { scheme: string; salt: string | null; value: string };
  proof: string[];
  issuance: { tokenId: string; transaction: string; block: string } | null;
};
