// The authorisation matrix's requests for the subscription routes (docs/subscriptions.md): a
// monthly product of shop A, made on first use once per world; buyer A holds one subscription
// (the one every refused cell asks about) and a balance for the allowed renewals; each allowed
// cancel gets a fresh subscription.
import { postJournal } from "../../api/ledger/postJournal.ts";
import { buyFromShop } from "../resale/support.ts";
import { createProduct, importKeys, randomKeys } from "../support/merchantSetup.ts";
import { waitFor } from "../support/platform.ts";
import type { Call, Cell, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

type SubscriptionFixtures = { productId: string; subscriptionA: string; fresh: () => Promise<string> };
const fixtures = new WeakMap<World, Promise<SubscriptionFixtures>>();

function subscriptionsOf(w: World): Promise<SubscriptionFixtures> {
  let made = fixtures.get(w);
  if (!made) {
    made = (async () => {
      const productId = await createProduct(w.shopA, { name: "Matrix monthly account", priceMinor: "500", quantityMax: 1, resaleAllowed: true });
      await importKeys(w.shopA, productId, randomKeys(8, "MSB"));
      const plan = await w.shopA.merchant.put(`/api/products/${productId}/subscription-plan`, { period: "month", delivery: "credential" });
      if (plan.status !== 200) throw new Error(`subscription plan: ${plan.status} ${plan.text}`);
      const buyer = w.people.buyer;
      await postJournal(w.platform.ctx.database.db, {
        idempotencyKey: "matrix-subscription-topup",
        kind: "balance_topup",
        reference: { type: "topup", id: "matrix-subscriptions" },
        postings: [
          { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -100_000n, currency: "CNY" },
          { account: { ownerType: "buyer", ownerId: buyer.accountId, purpose: "refunds" }, amountMinor: 100_000n, currency: "CNY" },
        ],
      });
      const fresh = async () => {
        const { entitlementId } = await buyFromShop(w.platform, w.shopA, buyer, productId);
        return waitFor(
          "the subscription of a fresh purchase",
          async () => {
            const page = await buyer.client.get("/api/subscriptions?limit=100");
            return page.body.items?.find((item: { entitlementId: string }) => item.entitlementId === entitlementId)?.id as string | undefined;
          },
          60_000,
          200,
        );
      };
      return { productId, subscriptionA: await fresh(), fresh };
    })();
    fixtures.set(w, made);
  }
  return made;
}

const get = (path: string): Call => ({ method: "GET", path });
const post = (path: string, body: unknown = {}): Call => ({ method: "POST", path, body });
const put = (path: string, body: unknown): Call => ({ method: "PUT", path, body });

export const subscriptionRequests: Record<string, RowRequests> = {
  "PUT /api/products/{productId}/subscription-plan": {
    build: async (w) =>
      put(`/api/products/${(await subscriptionsOf(w)).productId}/subscription-plan`, { period: "month", delivery: "credential", graceDays: 3 }),
    probe: "SELECT count(*)::text || ':' || coalesce(sum(grace_days), 0)::text FROM subscription_plans",
  },
  "GET /api/products/{productId}/subscription-plan": { build: async (w) => get(`/api/products/${(await subscriptionsOf(w)).productId}/subscription-plan`) },
  "GET /api/subscriptions": { build: () => get("/api/subscriptions") },
  "GET /api/subscriptions/{subscriptionId}": { build: async (w) => get(`/api/subscriptions/${(await subscriptionsOf(w)).subscriptionA}`) },
  "POST /api/subscriptions/{subscriptionId}/renew": {
    build: async (w) => post(`/api/subscriptions/${(await subscriptionsOf(w)).subscriptionA}/renew`),
    probe: "SELECT count(*)::text FROM subscription_periods",
  },
  "POST /api/subscriptions/{subscriptionId}/cancel": {
    build: async (w, cell: Cell) => {
      const made = await subscriptionsOf(w);
      return post(`/api/subscriptions/${cell.allowed ? await made.fresh() : made.subscriptionA}/cancel`);
    },
    probe: "SELECT count(*)::text FROM subscriptions WHERE state = 'cancelled'",
  },
  "PUT /api/subscriptions/{subscriptionId}/auto-renew": {
    build: async (w) => put(`/api/subscriptions/${(await subscriptionsOf(w)).subscriptionA}/auto-renew`, { autoRenew: true }),
    probe: "SELECT count(*)::text FROM subscriptions WHERE auto_renew",
  },
};
