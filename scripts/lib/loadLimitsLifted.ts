// Abuse limits lifted for load from one machine (the test suites, the sale benchmark, the fault
// drills): their load comes from one address and a few contacts, checks out fast and signs up many
// accounts, which the limits of docs/abuse.md exist to stop. Suites that test a limit set it.

/** Unpaid reservations per contact, per address and per share of stock. */
export const unlimitedUnpaidHolds = {
  ORDER_UNPAID_PER_CONTACT_MAX: "10000",
  ORDER_UNPAID_PER_CLIENT_MAX: "100000",
  ORDER_HOLD_SHARE_BPS: "10000",
  ORDER_PRESSURE_BPS: "10000",
};

/** Self-service merchants' shops, imports and keys a day. */
export const unlimitedMerchantQuotas = { MERCHANT_SHOPS_MAX: "10000", MERCHANT_IMPORTS_PER_DAY_MAX: "100000", MERCHANT_KEYS_PER_DAY_MAX: "100000000" };

/**
 * Plan and verification-level limits of self-service merchants, and the email confirmation before a
 * shop (docs/saas.md); the AML payout rules that hold a payout for review (docs/compliance.md: the
 * suites pay out many times a day and in large amounts; test/compliance sets its own).
 */
export const saasLimitsLifted = { SAAS_LIMITS_ENFORCED: "false", AML_PAYOUT_THRESHOLD_MINOR: "", AML_PAYOUT_VELOCITY_COUNT: "1000" };

/** Risk thresholds (review, block) and the captcha gates (checkout, login, sign-up). */
export const riskRulesLifted = {
  RISK_REVIEW_SCORE: "1000",
  RISK_BLOCK_SCORE: "1000",
  RISK_CAPTCHA_SCORE: "1000",
  LOGIN_CAPTCHA_AFTER_FAILURES: "1000",
  SIGNUP_CAPTCHA_AFTER_PER_CLIENT: "1000",
};

/**
 * The bound on counting an attempt in Redis (docs/abuse.md, "When Redis is away"): a machine
 * running suites or a load in the same process as the API can starve the event loop for over the
 * default 2 s, and a count that waited would be answered 503 instead of its real answer. The
 * outage suite (test/api/throttleOutage.test.ts) sets its own.
 */
export const throttleBoundRelaxed = { THROTTLE_REDIS_TIMEOUT_MS: "30000" };

/** All of the above. */
export const loadLimitsLifted = { ...unlimitedUnpaidHolds, ...unlimitedMerchantQuotas, ...saasLimitsLifted, ...riskRulesLifted, ...throttleBoundRelaxed };
