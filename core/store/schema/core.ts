// Drizzle table definitions of the core tables, for typed queries where a query builder reads
// better than SQL (simple reads and writes). The migrations (core/store/migrations) are the
// source of truth; test/store/schema.test.ts fails when these definitions drift from them.
import { bigint, bigserial, boolean, customType, integer, jsonb, numeric, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });
const int8 = (name: string) => bigint(name, { mode: "bigint" });
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const accounts = pgTable("accounts", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  email: text("email").notNull(),
  passwordHash: text("password_hash").notNull(),
  roles: text("roles").array().notNull(),
  displayName: text("display_name"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  // Migration 0740: the language of the account's mails.
  locale: text("locale").notNull().default("zh-CN"),
});

export const sessions = pgTable("sessions", {
  tokenHash: bytea("token_hash").primaryKey(),
  accountId: int8("account_id").notNull(),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  expiresAt: timestamptz("expires_at").notNull(),
  // Migration 0740: public id, sign-in stage and factor, where the session was opened.
  id: bigserial("id", { mode: "bigint" }).notNull(),
  stage: text("stage").notNull().default("complete"),
  factor: text("factor").notNull().default("password"),
  clientAddress: text("client_address"),
  userAgent: text("user_agent"),
});

export const shops = pgTable("shops", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  ownerAccountId: int8("owner_account_id").notNull(),
  slug: text("slug").notNull(),
  name: text("name").notNull(),
  description: text("description").notNull(),
  issuerAddress: text("issuer_address"),
  dataKeyWrapped: bytea("data_key_wrapped").notNull(),
  masterKeyId: text("master_key_id").notNull(),
  epayGatewayUrl: text("epay_gateway_url"),
  epayPid: text("epay_pid"),
  epayKeyEncrypted: bytea("epay_key_encrypted"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

export const products = pgTable("products", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  shopId: int8("shop_id").notNull(),
  name: text("name").notNull(),
  description: text("description").notNull(),
  category: text("category").notNull(),
  priceMinor: int8("price_minor").notNull(),
  currency: text("currency").notNull(),
  deliveryMode: text("delivery_mode").notNull(),
  quantityMin: integer("quantity_min").notNull(),
  quantityMax: integer("quantity_max").notNull(),
  lowStockThreshold: integer("low_stock_threshold").notNull(),
  resaleAllowed: boolean("resale_allowed").notNull(),
  royaltyBps: integer("royalty_bps").notNull(),
  status: text("status").notNull(),
  manualStock: integer("manual_stock"),
  dailyBuyerQuantityMax: integer("daily_buyer_quantity_max"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  riskReviewScore: integer("risk_review_score"),
  riskBlockScore: integer("risk_block_score"),
  // A docked listing: the supplier's product whose keys it sells (docs/docking.md).
  supplyProductId: int8("supply_product_id"),
  rentalAllowed: boolean("rental_allowed").notNull().default(false),
});

export const batches = pgTable("batches", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  shopId: int8("shop_id").notNull(),
  productId: int8("product_id").notNull(),
  keyCount: integer("key_count").notNull(),
  root: bytea("root"),
  treeEncoding: text("tree_encoding").notNull(),
  anchorState: text("anchor_state").notNull(),
  anchorTx: text("anchor_tx"),
  anchorBlock: int8("anchor_block"),
  anchoredAt: timestamptz("anchored_at"),
  chainId: int8("chain_id"),
  registryAddress: text("registry_address"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

export const orders = pgTable("orders", {
  id: text("id").primaryKey(),
  shopId: int8("shop_id").notNull(),
  productId: int8("product_id").notNull(),
  buyerAccountId: int8("buyer_account_id"),
  contact: text("contact"),
  queryPasswordHash: bytea("query_password_hash"),
  accessGeneration: integer("access_generation").notNull().default(0),
  quantity: integer("quantity").notNull(),
  unitPriceMinor: int8("unit_price_minor").notNull(),
  amountMinor: int8("amount_minor").notNull(),
  discountMinor: int8("discount_minor").notNull().default(0n),
  pricing: jsonb("pricing"),
  currency: text("currency").notNull(),
  state: text("state").notNull(),
  paymentMethod: text("payment_method").notNull(),
  idempotencyKey: text("idempotency_key"),
  expiresAt: timestamptz("expires_at").notNull(),
  paidAt: timestamptz("paid_at"),
  fulfilledAt: timestamptz("fulfilled_at"),
  refundReason: text("refund_reason"),
  deliveryNote: text("delivery_note"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  deliveryEncrypted: bytea("delivery_encrypted"),
  deliveredBy: int8("delivered_by"),
  clientAddress: text("client_address"),
  riskScore: integer("risk_score"),
  riskReasons: jsonb("risk_reasons"),
  deviceId: text("device_id"),
  walletAddress: text("wallet_address"),
  riskReview: text("risk_review"),
  riskReviewedBy: int8("risk_reviewed_by"),
  // A docked order: its supplier and the wholesale total fixed at checkout (docs/docking.md).
  supplierShopId: int8("supplier_shop_id"),
  wholesaleMinor: int8("wholesale_minor"),
});

export const payments = pgTable("payments", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  orderId: text("order_id").notNull(),
  shopId: int8("shop_id").notNull(),
  provider: text("provider").notNull(),
  providerRef: text("provider_ref").notNull(),
  amountMinor: int8("amount_minor").notNull(),
  currency: text("currency").notNull(),
  status: text("status").notNull(),
  payloadSha256: bytea("payload_sha256"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

export const entitlements = pgTable("entitlements", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  keyId: int8("key_id").notNull(),
  orderId: text("order_id").notNull(),
  shopId: int8("shop_id").notNull(),
  productId: int8("product_id").notNull(),
  batchId: int8("batch_id").notNull(),
  ownerAccountId: int8("owner_account_id"),
  ownerWallet: text("owner_wallet"),
  state: text("state").notNull(),
  tokenId: numeric("token_id", { precision: 78, scale: 0 }),
  issueState: text("issue_state").notNull(),
  issueTx: text("issue_tx"),
  issueBlock: int8("issue_block"),
  issuedAt: timestamptz("issued_at"),
  revealedAt: timestamptz("revealed_at"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
  redeemState: text("redeem_state"),
  redeemTx: text("redeem_tx"),
  rentalChainState: text("rental_chain_state"),
  rentalChainTx: text("rental_chain_tx"),
});

export const auditLog = pgTable("audit_log", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  accountId: int8("account_id"),
  action: text("action").notNull(),
  subject: text("subject"),
  details: jsonb("details").notNull(),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

export const coreTables = { accounts, sessions, shops, products, batches, orders, payments, entitlements, auditLog };
