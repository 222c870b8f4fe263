// The sale benchmark's platform process: the API (and the local chain, for anchoring) without
// workers or indexer, which run in their own processes as in production. Prints one JSON line with its URL
// and resolved environment, then serves until SIGTERM.
import { loadLimitsLifted } from "../../lib/loadLimitsLifted.ts";
import { startPlatform } from "../../lib/platform.ts";

// The load comes from one address and a few contacts, and pays at once: the abuse limits (meant
// for buyers who do not pay, and for card testing) would only measure themselves.
const platform = await startPlatform({ env: { ...loadLimitsLifted, ...process.env }, port: 0, seed: false, workers: false, indexer: false, logLevel: "warn" });
process.stdout.write(`${JSON.stringify({ url: platform.url, env: platform.env, sandboxSecret: platform.ctx.config.payments.epaySandboxSecret })}\n`);
process.once("SIGTERM", () => {
  void platform.stop().then(() => process.exit(0));
});
