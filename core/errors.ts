// One error type with a closed list of codes. The HTTP layer maps each code to a status;
// services throw AppError and never know about HTTP. Unknown errors become a 500 whose
// message is hidden from the client and logged with an id (see api/http/errorHandler.ts).

export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  payload_too_large: 413,
  // Refused by Node's HTTP parser before any route (api/http/clientErrors.ts).
  headers_too_large: 431,
  request_timeout: 408,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  // The account holds the role, but this session was opened without a second factor (staff
  // roles need one: docs/accounts.md).
  second_factor_required: 403,
  not_found: 404,
  conflict: 409,
  idempotency_conflict: 409,
  email_taken: 409,
  duplicate_keys: 422,
  invalid_keys: 422,
  out_of_stock: 409,
  order_not_payable: 409,
  invalid_signature: 400,
  amount_mismatch: 400,
  insufficient_funds: 409,
  // A shop's unpaid platform fees exceed its prepaid balance beyond the allowed credit: sales
  // on its own gateway stop until the merchant tops up (docs/ledger.md).
  fee_balance_exhausted: 409,
  invalid_state: 409,
  // Coupons and purchase limits (docs/pricing.md): each says what to change in the order.
  coupon_unknown: 404,
  coupon_expired: 422,
  coupon_not_usable: 422,
  coupon_not_applicable: 422,
  coupon_exhausted: 409,
  purchase_limit_reached: 409,
  // Distribution (docs/distribution.md): each says what to change.
  markup_out_of_bounds: 422,
  commission_rates_invalid: 422,
  referral_loop: 422,
  product_not_carried: 409,
  product_not_offered_to_agents: 422,
  invitation_invalid: 410,
  substore_slug_taken: 409,
  distribution_needs_platform_payment: 422,
  // Supply docking (docs/docking.md): what a reseller must change to list or sell a supplier's product.
  docking_own_product: 422,
  docking_offer_unavailable: 409,
  docking_price_too_low: 422,
  docking_payment_method: 422,
  docking_listing_has_no_keys: 422,
  // A docked listing cannot be sold through a sub-store: the reseller's margin after the supplier's
  // share need not cover a markup's fee share and commissions (docs/docking.md).
  docking_not_distributed: 422,
  // Docking across instances (docs/docking.md): an upstream that cannot be reached, refuses the
  // API key, or commits its keys on another chain than this instance reads.
  remote_supplier_unreachable: 422,
  remote_supplier_key_refused: 422,
  remote_supplier_chain: 422,
  // Webhooks (docs/webhooks.md): a receiver URL on the platform's own network (SSRF).
  webhook_url_refused: 422,
  rate_limited: 429,
  // Unpaid reservations are limited (api/services/orders/unpaidHolds.ts): too many open unpaid
  // orders from one contact or address, or one order asking for too large a share of the stock.
  too_many_unpaid_orders: 429,
  reservation_share_exceeded: 409,
  // Quotas of self-service merchants until the platform raises them (api/services/shops/merchantQuotas.ts).
  shop_quota_exceeded: 403,
  // Risk rules (api/services/risk): a checkout whose risk score reaches the product's block
  // threshold; a request that needs the proof-of-work captcha first (428 Precondition Required).
  risk_blocked: 403,
  captcha_required: 428,
  import_quota_exceeded: 429,
  // Disputes (docs/disputes.md): each names what the caller can do instead.
  dispute_already_open: 409,
  after_sales_closed: 409,
  escalation_closed: 409,
  refund_exceeds_paid: 422,
  refund_exceeds_remaining: 409,
  replacement_out_of_stock: 409,
  // Verified reviews (api/services/reviews): an entitlement not yet issued on-chain (or revoked),
  // one of another product than the one named, a second review, reply or report.
  review_not_eligible: 409,
  review_product_mismatch: 422,
  already_reviewed: 409,
  already_replied: 409,
  already_reported: 409,
  // After-sales tickets (docs/support.md): a message to a closed ticket; an attachment whose
  // content is not an allowed type or does not match its name, too large, or one too many.
  ticket_closed: 409,
  attachment_type_refused: 415,
  attachment_too_large: 413,
  attachments_exhausted: 409,
  // Self-service merchants (docs/saas.md): an email not yet confirmed, a confirmation link that
  // is wrong, used or expired; a custom domain taken or not proved; a plan's limit, a plan
  // downgrade below what the shop uses; a KYC document whose content is not an allowed type or
  // lies about it, a second open submission; a verification level's limits.
  email_unconfirmed: 403,
  confirmation_invalid: 410,
  domain_taken: 409,
  domain_unproved: 422,
  plan_limit_exceeded: 409,
  plan_downgrade_below_usage: 409,
  document_type_refused: 415,
  kyc_already_open: 409,
  sales_limit_exceeded: 422,
  payout_limit_exceeded: 422,
  stock_limit_exceeded: 422,
  // Compliance (docs/compliance.md): a payout an AML alert holds for review (or froze) cannot be
  // approved; an erasure while a dispute or a legal hold is open is refused with the reason.
  aml_review_pending: 409,
  erasure_refused: 409,
  // Currencies (docs/currencies.md).
  currency_not_accepted: 422,
  fx_rate_unavailable: 503,
  // API keys (docs/api-keys.md): a key that does not exist or whose secret is wrong, an expired
  // or revoked one, a call from outside its allow-list, and a route its scopes do not cover.
  api_key_invalid: 401,
  api_key_expired: 401,
  api_key_revoked: 401,
  api_key_address: 403,
  api_key_scope: 403,
  // Group buying (docs/groupbuy.md): what a buyer or merchant must do instead.
  group_price_too_high: 422,
  group_offer_unavailable: 409,
  group_full: 409,
  group_expired: 409,
  group_own: 422,
  group_already_joined: 409,
  chain_unavailable: 503,
  // The throttles' store (Redis) did not answer in time: the attempt is refused rather than
  // let through uncounted (api/services/throttles/boundedRedis.ts).
  throttle_unavailable: 503,
  // Receipt and statement PDFs need their CJK font (api/services/receipts/receiptFont.ts).
  receipt_font_missing: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export type AppErrorOptions = {
  details?: unknown;
  /** Whether the caller may retry the same request later and expect success. */
  retryable?: boolean;
  cause?: unknown;
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
