// The fault drills of `npm run drill` (docs/drills.md), three of them in a smaller form: the
// platform as separate processes (API, workers, indexer) on the suite's PostgreSQL server, a
// private Redis and a private Hardhat node, under a guest sale load. After each fault every paid
// order is fulfilled exactly once, every sale is issued on-chain within a minute, ledger
// anchoring and order expiry run again, the ledger balances and the indexer equals the chain.
// The Redis drill runs last (and a failed drill is followed by a restart of every part), so that
// no drill fails for what an earlier one broke.
import { expect } from "chai";
import { setupSaleProduct, type SaleProduct } from "../../scripts/bench/sale/saleSetup.ts";
import { startDrillPlatform, type DrillPlatform } from "../../scripts/drill/drillPlatform.ts";
import { formatDrillLine, restartParts, runDrill, type DrillName, type DrillOptions } from "../../scripts/drill/drills.ts";
import { testEnv } from "../support/env.ts";

const options: DrillOptions = {
  buyers: 4,
  thinkMs: 200,
  warmupMs: 5_000,
  afterRepairMs: 10_000,
  downMs: 2_000,
  chainPauseMs: 15_000,
  shutdownDeadlineMs: 15_000,
};

describe("fault drills under a sale load", function () {
  this.timeout(360_000);
  let platform: DrillPlatform;
  let product: SaleProduct;
  const codesSeen = new Map<string, string>();

  before(async () => {
    platform = await startDrillPlatform({ pgAdminUrl: testEnv.pgAdminUrl });
    product = await setupSaleProduct({ url: platform.url, sandboxSecret: platform.sandboxSecret, keys: 3_000, name: "drill" });
  });
  afterEach(async function () {
    // A drill that failed may leave the platform broken: the next one starts from restarted parts.
    if (this.currentTest?.state === "failed" && platform) await restartParts(platform);
  });
  after(async () => {
    await platform?.stop();
  });

  const drill = (name: DrillName, what: string) =>
    it(what, async () => {
      const result = await runDrill(platform, product, name, options, codesSeen);
      console.log(`      ${formatDrillLine(result)}`);
      expect(result.figures.ordersPaid, "orders paid during the drill").to.be.greaterThan(0);
      expect(result.problems).to.deep.equal([]);
      expect(result.figures.ordersFulfilled).to.equal(result.figures.ordersPaid);
      expect(result.figures.duplicates).to.equal(0);
      expect(result.figures.unbalanced).to.equal(0);
    });

  drill("worker-kill", "kill -9 of the worker process: every paid order fulfilled once after its restart");
  drill("api-sigterm", "SIGTERM of the API with kept-alive clients: it exits within its deadline and nothing is lost");
  drill("redis-empty-restart", "kill -9 of Redis and an empty one in its place: schedules, fulfilment and issuance resume");
});
