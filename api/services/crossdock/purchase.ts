// The downstream half of docking across instances (docs/docking.md, "Across instances"): a paid
// order of a listing whose supplier runs on another Keyledger instance buys its keys there,
// through the SDK and with the reseller's API key of that instance, and delivers them only after
// the gate (upstreamKeyGate.ts) has verified each against the chain.
//
// One run, from the top each time (the job is retried with backoff while something upstream is
// not ready yet):
//   1. buy upstream: checkout with Idempotency-Key crossdock:<order>:<attempt>, so every retry,
//      a second worker running the same order, or a run after a crash answers the same upstream
//      order; pay it from the reseller's balance there (pay-from-balance, which charges once);
//   2. wait for the upstream's issuance, then the gate's first step on each sealed certificate,
//      whose passing certificates are stored before the reveal (the reveal redeems the token, so
//      a resumed run could not pass the first step again);
//   3. reveal upstream and the gate's second step on each code;
//   4. deliver: the codes encrypted under the reseller's data key as the order's delivery, the
//      supplier's certificates kept with the purchase, the order fulfilled, in one transaction
//      guarded by the order's state (two runs deliver once).
// A key that fails the gate is never stored: the upstream order is disputed (key_invalid) and the
// purchase moves to the next attempt, a new upstream order. After `attemptsMax` refused attempts,
// an upstream that refuses the purchase (out of stock, product gone) or one still not done at the
// deadline, the downstream order is refunded whole through the ledger, once (the order's row lock
// and state decide, as in fulfilment).
import type { PublicClient } from "viem";
import { AppError } from "../../../core/errors.ts";
import type { Certificate } from "../../../core/keys/certificateSchema.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { KeyledgerError, ok } from "../../../sdk/src/index.ts";
import { encryptSecret } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { postOrderRefund } from "../../ledger/flows.ts";
import { manualDeliveryAad } from "../orders/deliverManualOrder.ts";
import { ensurePaymentEntry } from "../orders/paymentEntryOutbox.ts";
import { openRemoteSupplier, type RemoteSupplier } from "./remoteSuppliers.ts";
import { checkRevealedUpstreamKey, checkSealedUpstreamKey } from "./upstreamKeyGate.ts";

export type CrossdockPurchaseDeps = {
  db: Drizzle;
  keyRing: MasterKeyRing;
  allowLoopback: boolean;
  chain: PublicClient;
  platformFeeBps: number;
  /** Upstream orders whose keys failed the gate before the downstream order is refunded. */
  attemptsMax: number;
  /** How long after the downstream payment an upstream that is unreachable or not done is waited for. */
  deadlineMs: number;
  now?: () => number;
};

export const crossdockPurchaseDefaults = { attemptsMax: 3, deadlineMs: 30 * 60_000 } as const;

export type CrossdockOutcome = "delivered" | "refunded" | "done" | "not_remote";

/** Something upstream is not ready (issuance pending, a 5xx, no answer, balance short): the job retries. */
export class UpstreamNotReady extends Error {}

type OrderRow = {
  id: string;
  state: string;
  quantity: number;
  shop_id: bigint;
  amount_minor: bigint;
  currency: string;
  paid_at: Date | null;
  remote_supplier_id: bigint | null;
  remote_product_id: string | null;
};

type PurchaseRow = { attempt: number; state: string; upstream_order_id: string | null; sealed_certificates: Certificate[] | null };

type UpstreamItem = { keyId: string; entitlementId: string; tokenId?: string | null; state: string; code?: string | null };

export async function runCrossdockPurchase(deps: CrossdockPurchaseDeps, orderId: string, finalRun = false): Promise<CrossdockOutcome> {
  const order = await queryOne<OrderRow>(
    deps.db,
    sql`SELECT o.id, o.state, o.quantity, o.shop_id, o.amount_minor, o.currency, o.paid_at, p.remote_supplier_id, p.remote_product_id
        FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id = ${orderId}`,
  );
  if (!order?.remote_supplier_id || !order.remote_product_id) return "not_remote";
  if (order.state !== "paid") return "done";
  await deps.db.execute(sql`INSERT INTO crossdock_purchases (order_id) VALUES (${orderId}) ON CONFLICT (order_id) DO NOTHING`);
  const now = deps.now ?? Date.now;
  const pastDeadline = order.paid_at !== null && now() > new Date(order.paid_at).getTime() + deps.deadlineMs;
  const supplier = await openRemoteSupplier(deps, BigInt(order.remote_supplier_id));
  try {
    for (;;) {
      const purchase = await readPurchase(deps.db, orderId);
      if (purchase.state !== "buying") return "done";
      if (purchase.attempt > deps.attemptsMax) return await refundOrder(deps, order, "upstream_keys_refused");
      const step = await buyOnce(deps, supplier, order, purchase);
      if (step === "delivered" || step === "done") return step;
      if (step === "unavailable") return await refundOrder(deps, order, "upstream_unavailable");
      // "refused": the next attempt, a new upstream order.
    }
  } catch (error) {
    if (!(error instanceof UpstreamNotReady)) throw error;
    await deps.db.execute(sql`UPDATE crossdock_purchases SET last_error = ${error.message}, updated_at = now() WHERE order_id = ${orderId}`);
    if (pastDeadline || finalRun) return refundOrder(deps, order, "upstream_unavailable");
    throw error;
  }
}

async function readPurchase(db: Drizzle, orderId: string): Promise<PurchaseRow> {
  return (await queryOne<PurchaseRow>(
    db,
    sql`SELECT attempt, state, upstream_order_id, sealed_certificates FROM crossdock_purchases WHERE order_id = ${orderId}`,
  ))!;
}

/** One attempt: an upstream order bought, paid, verified and delivered, or why not. */
async function buyOnce(
  deps: CrossdockPurchaseDeps,
  supplier: RemoteSupplier,
  order: OrderRow,
  purchase: PurchaseRow,
): Promise<"delivered" | "done" | "refused" | "unavailable"> {
  const client = supplier.client;
  const checkout = await upstream(() =>
    client.POST("/api/orders", {
      body: { productId: order.remote_product_id!, quantity: order.quantity, paymentMethod: "chain" },
      headers: { "idempotency-key": `crossdock:${order.id}:${purchase.attempt}` },
    }),
  );
  if (checkout === "refused") return "unavailable";
  let upstreamOrder = checkout.order;
  if (purchase.upstream_order_id !== upstreamOrder.id) {
    await deps.db.execute(
      sql`UPDATE crossdock_purchases SET upstream_order_id = ${upstreamOrder.id}, sealed_certificates = NULL, updated_at = now()
          WHERE order_id = ${order.id} AND attempt = ${purchase.attempt}`,
    );
    purchase = { ...purchase, upstream_order_id: upstreamOrder.id, sealed_certificates: null };
  }
  if (upstreamOrder.state === "awaiting_payment") {
    const paid = await upstream(
      () => client.POST("/api/orders/{orderId}/pay-from-balance", { params: { path: { orderId: upstreamOrder.id } } }),
      ["insufficient_funds"],
    );
    if (paid === "refused") return "unavailable";
    upstreamOrder = paid;
  }
  if (["expired", "refund_pending", "refunded", "failed"].includes(upstreamOrder.state)) return "unavailable";
  const view = await upstream(() => client.GET("/api/orders/{orderId}", { params: { path: { orderId: upstreamOrder.id }, query: {} } }));
  if (view === "refused") return "unavailable";
  const items = view.items as UpstreamItem[];
  if (view.state !== "fulfilled" || items.length !== order.quantity || items.some((item) => !item.tokenId)) {
    throw new UpstreamNotReady(`upstream order ${upstreamOrder.id} is ${view.state}, its keys not all issued on-chain yet`);
  }

  // Step 1, on the sealed certificates (or the ones that passed it before this run's reveal).
  let sealed = purchase.sealed_certificates;
  if (!sealed) {
    sealed = [];
    const failures: string[] = [];
    for (const item of items) {
      const certificate = await upstream(() =>
        client.GET("/api/orders/{orderId}/keys/{keyId}/certificate", { params: { path: { orderId: upstreamOrder.id, keyId: item.keyId }, query: {} } }),
      );
      const verdict = await checkSealedUpstreamKey(deps.chain, supplier, certificate);
      if (verdict.outcome === "wait") throw new UpstreamNotReady(verdict.reason);
      if (verdict.outcome === "refused") failures.push(...verdict.failures.map((failure) => `${item.keyId}:${failure}`));
      else sealed.push(verdict.certificate);
    }
    if (failures.length) return refuseAttempt(deps, supplier, order.id, purchase, failures);
    await deps.db.execute(
      sql`UPDATE crossdock_purchases SET sealed_certificates = ${JSON.stringify(sealed)}::jsonb, updated_at = now()
          WHERE order_id = ${order.id} AND attempt = ${purchase.attempt} AND upstream_order_id = ${upstreamOrder.id}`,
    );
  }

  // Step 2, on the codes the reveal answers and the certificates with their salts.
  const revealed = await upstream(() =>
    client.POST("/api/orders/{orderId}/reveal", {
      params: { path: { orderId: upstreamOrder.id } },
      body: { entitlementIds: items.map((item) => item.entitlementId) },
    }),
  );
  if (revealed === "refused") return "unavailable";
  const codes: string[] = [];
  const certificates: unknown[] = [];
  const failures: string[] = [];
  for (const [index, item] of items.entries()) {
    const code = (revealed.items as UpstreamItem[]).find((candidate) => candidate.keyId === item.keyId)?.code;
    const withSalt = await upstream(() =>
      client.GET("/api/orders/{orderId}/keys/{keyId}/certificate", { params: { path: { orderId: upstreamOrder.id, keyId: item.keyId }, query: {} } }),
    );
    const passed = sealed[index];
    const verdict =
      passed && typeof code === "string" ? checkRevealedUpstreamKey(passed, withSalt, code) : { outcome: "refused" as const, failures: ["code_missing"] };
    if (verdict.outcome !== "pass")
      failures.push(...(verdict.outcome === "refused" ? verdict.failures : [verdict.reason]).map((failure) => `${item.keyId}:${failure}`));
    else {
      codes.push(code!);
      certificates.push(withSalt);
    }
  }
  if (failures.length) return refuseAttempt(deps, supplier, order.id, purchase, failures);
  return deliver(deps, order, purchase, codes, certificates);
}

/**
 * Calls the upstream. A 4xx (other than `retryCodes`) is the upstream refusing: "refused". A 5xx,
 * a listed code or no answer: UpstreamNotReady (the job retries until the deadline). The error
 * names the status and code only, never the request, whose header carries the key.
 */
async function upstream<T>(call: () => Promise<{ data?: T; error?: unknown; response: Response }>, retryCodes: string[] = []): Promise<T | "refused"> {
  try {
    return ok(await call());
  } catch (error) {
    if (error instanceof KeyledgerError) {
      if (error.status < 500 && error.status !== 429 && !retryCodes.includes(error.code ?? "")) return "refused";
      throw new UpstreamNotReady(`the upstream answered ${error.status} ${error.code ?? ""}`.trim());
    }
    const cause = (error as { cause?: { code?: string }; code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    throw new UpstreamNotReady(`the upstream did not answer (${cause ?? "no answer"})`);
  }
}

/** A key failed the gate: the upstream order is disputed and the purchase moves to the next attempt (once, whoever sees it first). */
async function refuseAttempt(
  deps: CrossdockPurchaseDeps,
  supplier: RemoteSupplier,
  orderId: string,
  purchase: PurchaseRow,
  failures: string[],
): Promise<"refused"> {
  const upstreamOrderId = purchase.upstream_order_id!;
  try {
    ok(
      await supplier.client.POST("/api/orders/{orderId}/disputes", {
        params: { path: { orderId: upstreamOrderId } },
        body: {
          category: "key_invalid",
          statement: `Refused before resale by the buyer's instance: ${failures.join(", ")} failed against the chain.`.slice(0, 2000),
        },
      }),
    );
  } catch (error) {
    // A second run of the same refusal finds the dispute open (409): the first one opened it.
    if (!(error instanceof KeyledgerError && error.status === 409)) throw new UpstreamNotReady(`the dispute of upstream order ${upstreamOrderId} failed`);
  }
  await deps.db.execute(
    sql`UPDATE crossdock_purchases
        SET attempt = attempt + 1, upstream_order_id = NULL, sealed_certificates = NULL, updated_at = now(),
            refused = refused || jsonb_build_array(jsonb_build_object('attempt', attempt, 'upstreamOrderId', ${upstreamOrderId}::text,
                                                                      'failures', ${JSON.stringify(failures)}::jsonb))
        WHERE order_id = ${orderId} AND attempt = ${purchase.attempt} AND state = 'buying'`,
  );
  return "refused";
}

/** The verified codes become the order's delivery, in one transaction that only a paid order passes. */
async function deliver(
  deps: CrossdockPurchaseDeps,
  order: OrderRow,
  purchase: PurchaseRow,
  codes: string[],
  certificates: unknown[],
): Promise<"delivered" | "done"> {
  return deps.db.transaction(async (tx) => {
    const shopId = BigInt(order.shop_id);
    const encrypted = encryptSecret(await loadShopDataKey(tx, deps.keyRing, shopId), codes.join("\n"), manualDeliveryAad(order.id));
    const delivered = await queryOne<{ id: string }>(
      tx,
      sql`UPDATE orders SET state = 'fulfilled', fulfilled_at = now(), delivery_encrypted = ${encrypted}
          WHERE id = ${order.id} AND state = 'paid' AND (risk_review IS NULL OR risk_review = 'approved') RETURNING id`,
    );
    if (!delivered) return "done";
    const recorded = await queryOne<{ order_id: string }>(
      tx,
      sql`UPDATE crossdock_purchases SET state = 'delivered', certificates = ${JSON.stringify(certificates)}::jsonb, last_error = NULL, updated_at = now()
          WHERE order_id = ${order.id} AND attempt = ${purchase.attempt} AND state = 'buying' RETURNING order_id`,
    );
    if (!recorded) throw new AppError("conflict", `The purchase of order ${order.id} moved on while it was delivered; the run is retried.`);
    return "delivered";
  });
}

/** The whole payment back to the downstream buyer, once: the order's row lock and its state decide. */
async function refundOrder(deps: CrossdockPurchaseDeps, order: OrderRow, reason: string): Promise<"refunded" | "done"> {
  return deps.db.transaction(async (tx) => {
    const locked = await queryOne<{ state: string }>(tx, sql`SELECT state FROM orders WHERE id = ${order.id} FOR UPDATE`);
    if (locked?.state !== "paid") return "done";
    await tx.execute(sql`UPDATE orders SET state = 'refund_pending', refund_reason = ${reason} WHERE id = ${order.id}`);
    await ensurePaymentEntry(tx, { platformFeeBps: deps.platformFeeBps }, order.id);
    await postOrderRefund(tx, {
      orderId: order.id,
      shopId: BigInt(order.shop_id),
      amountMinor: BigInt(order.amount_minor),
      currency: order.currency,
      reason: reason === "upstream_unavailable" ? "out_of_stock" : "other",
    });
    await tx.execute(sql`UPDATE crossdock_purchases SET state = 'refunded', updated_at = now() WHERE order_id = ${order.id} AND state = 'buying'`);
    return "refunded";
  });
}
