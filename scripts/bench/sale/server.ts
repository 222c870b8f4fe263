// The sale benchmark's platform process: the API (and the local chain, for anchoring) without
// workers or indexer, which run in their own processes as in production. Prints one JSON line with its URL
// and resolved environment, then serves until SIGTERM.
import { startPlatform } from "../../lib/platform.ts";

// The load comes from one address and a few contacts, and pays at once: the limits of unpaid
// reservations (meant for buyers who do not pay) would only measure themselves.
const unpaidHoldsLifted = {
  ORDER_UNPAID_PER_CONTACT_MAX: "10000",
  ORDER_UNPAID_PER_CLIENT_MAX: "100000",
  ORDER_HOLD_SHARE_BPS: "10000",
  // Risk velocity (one address, a few contacts) would ask the load generator to solve captchas.
  RISK_REVIEW_SCORE: "1000",
  RISK_BLOCK_SCORE: "1000",
  RISK_CAPTCHA_SCORE: "1000",
};
const platform = await startPlatform({ env: { ...unpaidHoldsLifted, ...process.env }, port: 0, seed: false, workers: false, indexer: false, logLevel: "warn" });
process.stdout.write(`${JSON.stringify({ url: platform.url, env: platform.env, sandboxSecret: platform.ctx.config.payments.epaySandboxSecret })}\n`);
process.once("SIGTERM", () => {
  void platform.stop().then(() => process.exit(0));
});
