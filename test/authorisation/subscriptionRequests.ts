// The authorisation matrix's requests for the subscription routes (docs/subscriptions.md): a
// monthly product of shop A, made on first use once per world; buyer A holds one subscription
// (the one every refused cell asks about) and a balance for the allowed renewals; each allowed
// cancel gets a fresh subscription.
import { postJournal } from "../../api/ledger/postJournal.ts";
import { buyFromShop } from "../resale/support.ts";
import { createProduct, importKeys, randomKeys } from "../support/merchantSetup.ts";
import { signedNotification } from "../support/epayNotify.ts";
import { waitFor } from "../support/platform.ts";
import type { Call, Cell, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

type SubscriptionFixtures = { productId: string; premiumId: string; subscriptionA: string; fresh: () => Promise<string> };
const fixtures = new WeakMap<World, Promise<SubscriptionFixtures>>();

function subscriptionsOf(w: World): Promise<SubscriptionFixtures> {
  let made = fixtures.get(w);
  if (!made) {
    made = (async () => {
      const productId = await createProduct(w.shopA, { name: "Matrix monthly account", priceMinor: "500", quantityMax: 1, resaleAllowed: true });
      await importKeys(w.shopA, productId, randomKeys(8, "MSB"));
      const plan = await w.shopA.merchant.put(`/api/products/${productId}/subscription-plan`, { period: "month", delivery: "credential" });
      if (plan.status !== 200) throw new Error(`subscription plan: ${plan.status} ${plan.text}`);
      // A dearer monthly plan of the same shop: what an upgrade moves to.
      const premiumId = await createProduct(w.shopA, { name: "Matrix monthly premium", priceMinor: "900", quantityMax: 1, resaleAllowed: true });
      const premiumPlan = await w.shopA.merchant.put(`/api/products/${premiumId}/subscription-plan`, { period: "month", delivery: "credential" });
      if (premiumPlan.status !== 200) throw new Error(`premium plan: ${premiumPlan.status} ${premiumPlan.text}`);
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
      return { productId, premiumId, subscriptionA: await fresh(), fresh };
    })();
    fixtures.set(w, made);
  }
  return made;
}

/** Buyer A's balance top-up (awaiting payment), started once per world. */
const balanceTopups = new WeakMap<World, Promise<{ id: string; amountMinor: string }>>();
function balanceTopupOf(w: World): Promise<{ id: string; amountMinor: string }> {
  let made = balanceTopups.get(w);
  if (!made) {
    made = (async () => {
      const started = await w.people.buyer.client.post("/api/balance/topups", { amountMinor: "400", currency: "CNY", idempotencyKey: "matrix-balance-topup" });
      if (started.status !== 201) throw new Error(`balance top-up: ${started.status} ${started.text}`);
      return { id: started.body.id as string, amountMinor: "400" };
    })();
    balanceTopups.set(w, made);
  }
  return made;
}

function balanceNotification(method: "GET" | "POST", params: Record<string, string>): Call {
  const text = new URLSearchParams(params).toString();
  if (method === "GET") return get(`/api/balance/topups/epay/notify?${text}`);
  return { method, path: "/api/balance/topups/epay/notify", body: text, headers: { "content-type": "application/x-www-form-urlencoded" } };
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
  "GET /api/balance": { build: () => get("/api/balance") },
  "POST /api/balance/topups": {
    // Each allowed role starts its own (its own idempotency key); a refused one would have started one.
    build: (_w, cell: Cell) => post("/api/balance/topups", { amountMinor: "300", currency: "CNY", idempotencyKey: `matrix-topup-${cell.role}` }),
    probe: "SELECT count(*)::text FROM balance_topups",
  },
  "GET /api/balance/topups/{topupId}": { build: async (w) => get(`/api/balance/topups/${(await balanceTopupOf(w)).id}`) },
  "GET /api/balance/topups/epay/notify": {
    build: async (w) => balanceNotification("GET", signedNotification(w.platformMerchant, await balanceTopupOf(w), "T-MATRIX-BALANCE")),
  },
  "POST /api/balance/topups/epay/notify": {
    build: async (w) => balanceNotification("POST", signedNotification(w.platformMerchant, await balanceTopupOf(w), "T-MATRIX-BALANCE")),
  },
  "POST /api/subscriptions/{subscriptionId}/upgrade": {
    // The allowed upgrade moves a fresh subscription; the refused ones ask about buyer A's.
    build: async (w, cell: Cell) => {
      const made = await subscriptionsOf(w);
      return post(`/api/subscriptions/${cell.allowed ? await made.fresh() : made.subscriptionA}/upgrade`, { productId: made.premiumId });
    },
    probe: "SELECT count(*)::text FROM subscription_upgrades",
  },
  "GET /api/subscriptions/{subscriptionId}/wallet-mandate": {
    build: async (w) => get(`/api/subscriptions/${(await subscriptionsOf(w)).subscriptionA}/wallet-mandate`),
  },
  "POST /api/subscriptions/{subscriptionId}/wallet-mandate": {
    build: async (w) =>
      post(`/api/subscriptions/${(await subscriptionsOf(w)).subscriptionA}/wallet-mandate`, {
        payer: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
        subscriptionRef: `0x${"ab".repeat(32)}`,
      }),
    probe: "SELECT count(*)::text FROM subscription_mandates",
  },
  "PUT /api/subscriptions/{subscriptionId}/auto-renew": {
    build: async (w) => put(`/api/subscriptions/${(await subscriptionsOf(w)).subscriptionA}/auto-renew`, { autoRenew: true }),
    probe: "SELECT count(*)::text FROM subscriptions WHERE auto_renew",
  },
};
