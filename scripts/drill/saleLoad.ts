// The sale load a fault drill runs under: guest buyers who check out, pay through the sandbox
// EPay gateway and wait for their key, the way scripts/bench/sale.ts buys (its setup and calls,
// scripts/bench/sale/saleSetup.ts), but built to ride through faults. Each buyer keeps one
// kept-alive connection (as a browser does) and retries what failed; one in `abandonEvery`
// checkouts is never paid, so order expiry has work. The gateway notifies from a new
// connection each time, as a payment gateway does, and retries until it is answered `success`
// (EPay gateways retry for hours), so a payment is never lost to a fault of ours, only delayed.
import { notifyPath, signedNotification } from "../../test/support/epayNotify.ts";
import { KeepAliveConnection } from "../bench/sale/keepAliveConnection.ts";
import { call, nodeHttpSend, type SaleProduct, type Send } from "../bench/sale/saleSetup.ts";

export type LoadOrder = {
  id: string;
  accessToken: string;
  amountMinor: string;
  abandoned: boolean;
  /** Wall-clock milliseconds (Date.now) of the checkout's request. */
  checkoutAt: number;
  /** When the gateway's notification was answered `success`. */
  paidAckAt?: number;
  /** When the buyer saw the order fulfilled. */
  deliveredAt?: number;
  /** The platform's last answer to the gateway while it was not `success` (status and text). */
  lastNotifyAnswer?: string;
};

export type SaleLoadParameters = {
  url: string;
  product: SaleProduct;
  buyers: number;
  /** A buyer's pause between purchases. */
  thinkMs: number;
  /** Every n-th checkout is left unpaid (it must expire). */
  abandonEvery: number;
  /** How long a buyer waits for the key before buying again (the drill's checks find the rest). */
  deliveryWaitMs: number;
  /** Distinguishes the contacts and trade numbers of one load from another's. */
  label: string;
};

export type SaleLoad = {
  orders: Map<string, LoadOrder>;
  /** Requests that failed without an answer (refused, reset, timed out) or got a 5xx, by step. */
  failures: { checkout: number; notify: number; poll: number };
  /** Of those, requests sent on a connection that closed before the answer (not refused ones): what a graceful shutdown avoids. */
  cut: { count: number };
  /** Checkouts answered out_of_stock (then asked again). */
  outOfStock: { count: number };
  /** Resolves once an order checked out at or after `since` (Date.now ms) was delivered, or after `timeoutMs`. */
  deliveredSince(since: number, timeoutMs: number): Promise<boolean>;
  /** Stops buying and waits until every payment made was acknowledged by the platform (or `drainMs` passed). */
  stop(drainMs: number): Promise<{ unacknowledgedPayments: LoadOrder[] }>;
};

const retryPauseMs = 250;
const gatewayRetryMsMax = 2_000;

export function startSaleLoad(parameters: SaleLoadParameters): SaleLoad {
  const orders = new Map<string, LoadOrder>();
  const failures = { checkout: 0, notify: 0, poll: 0 };
  const cut = { count: 0 };
  const outOfStock = { count: 0 };
  // A refused connection is a server that is down; anything else lost a request it was sent.
  const noAnswer = (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "ECONNREFUSED") cut.count += 1;
    return undefined;
  };
  const payments = new Set<Promise<void>>();
  let stopping = false;
  let gatewayGiveUp = false;
  let checkoutCount = 0;
  const gatewaySend = nodeHttpSend(parameters.url, { keepAlive: false, timeoutMs: 30_000 });
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  // The gateway's notification, retried with a growing pause until the platform says success.
  const pay = async (order: LoadOrder) => {
    const path = notifyPath(parameters.product.shopId, signedNotification(parameters.product.merchant, order, `${parameters.label}-T-${order.id}`));
    for (let attempt = 0; !gatewayGiveUp; attempt++) {
      const answer = await call(gatewaySend, "GET", path).catch(noAnswer);
      if (answer?.text === "success") {
        order.paidAckAt = Date.now();
        return;
      }
      order.lastNotifyAnswer = answer ? `${answer.status} ${answer.text.slice(0, 200)}` : "no answer";
      failures.notify += 1;
      await pause(Math.min(gatewayRetryMsMax, retryPauseMs * 2 ** attempt));
    }
  };

  const buyer = async (index: number) => {
    const connection = new KeepAliveConnection(parameters.url);
    const send: Send = (method, route, headers, payload) => connection.request(method, route, headers, payload);
    try {
      for (let round = 0; !stopping; round++) {
        if (round > 0) await pause(parameters.thinkMs);
        const order = await checkout(send, index, round);
        if (!order || order.abandoned) continue;
        // The buyer waits on its order page (long polls on its kept-alive connection) while the
        // gateway notifies, as a browser does: the connection stays busy through a fault.
        const paid = pay(order);
        payments.add(paid);
        void paid.finally(() => payments.delete(paid));
        await waitForDelivery(send, order);
      }
    } finally {
      connection.close();
    }
  };

  const checkout = async (send: Send, index: number, round: number): Promise<LoadOrder | undefined> => {
    // The same idempotency key for every retry: a checkout that was answered but whose answer
    // was lost to a fault is not made twice.
    const idempotencyKey = `${parameters.label}-${index}-${round}`;
    while (!stopping) {
      const checkoutAt = Date.now();
      const answer = await call(
        send,
        "POST",
        "/api/orders",
        { productId: parameters.product.productId, quantity: 1, contact: `${parameters.label}-${index}-${round}@example.com`, queryPassword: "drill-pass-1" },
        { "idempotency-key": idempotencyKey },
      ).catch(noAnswer);
      if (answer?.status === 201) {
        const created = answer.body.order as { id: string; amountMinor: string };
        const order: LoadOrder = {
          id: created.id,
          accessToken: String(answer.body.accessToken),
          amountMinor: created.amountMinor,
          abandoned: ++checkoutCount % parameters.abandonEvery === 0,
          checkoutAt,
        };
        orders.set(order.id, order);
        return order;
      }
      failures.checkout += 1;
      // The API marks out_of_stock retryable; a drill met it with thousands of keys free (counted
      // in outOfStock, to be explained), so it is asked again like a 5xx.
      if (answer?.body.code === "out_of_stock") outOfStock.count += 1;
      const retryable = !answer || answer.status >= 500 || answer.status === 429 || answer.body.code === "out_of_stock";
      if (!retryable) throw new Error(`checkout refused (${answer.status}): ${answer.text}`);
      await pause(retryPauseMs);
    }
    return undefined;
  };

  const waitForDelivery = async (send: Send, order: LoadOrder) => {
    const deadline = Date.now() + parameters.deliveryWaitMs;
    while (!stopping && Date.now() < deadline) {
      const view = await call(send, "GET", `/api/orders/${order.id}?token=${order.accessToken}&waitSeconds=5`).catch(noAnswer);
      if (view?.status === 200 && view.body.state === "fulfilled") {
        order.deliveredAt = Date.now();
        return;
      }
      if (!view || view.status >= 500) {
        failures.poll += 1;
        await pause(retryPauseMs);
      }
    }
  };

  const running = Promise.all(Array.from({ length: parameters.buyers }, (_, index) => buyer(index)));
  return {
    orders,
    failures,
    cut,
    outOfStock,
    async deliveredSince(since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const order of orders.values()) if (order.checkoutAt >= since && order.deliveredAt !== undefined) return true;
        if (Date.now() > deadline) return false;
        await pause(250);
      }
    },
    async stop(drainMs) {
      stopping = true;
      const timer = setTimeout(() => (gatewayGiveUp = true), drainMs);
      await running;
      // Buyers whose checkout was answered after the stop began paid too: wait for every payment.
      while (payments.size > 0) await Promise.all([...payments]);
      clearTimeout(timer);
      const unacknowledgedPayments = [...orders.values()].filter((order) => !order.abandoned && order.paidAckAt === undefined);
      return { unacknowledgedPayments };
    },
  };
}

export type Delivery = { orderId: string; state: string; codes: string[]; issued: number };

/** Reads every order of the load through the API as its buyer does: what was delivered, and which of its entitlements are issued on-chain. */
export async function readDeliveries(url: string, orders: Iterable<LoadOrder>, concurrency = 8): Promise<Delivery[]> {
  const send = nodeHttpSend(url, { timeoutMs: 30_000 });
  const queue = [...orders];
  const deliveries: Delivery[] = [];
  const reader = async () => {
    for (let order = queue.pop(); order; order = queue.pop()) {
      const view = await call(send, "GET", `/api/orders/${order.id}?token=${order.accessToken}`);
      if (view.status !== 200) throw new Error(`order ${order.id} answered ${view.status}: ${view.text}`);
      const items = view.body.items as { code: string | null; issueState: string }[];
      deliveries.push({
        orderId: order.id,
        state: String(view.body.state),
        codes: items.flatMap((item) => (item.code === null ? [] : [item.code])),
        issued: items.filter((item) => item.issueState === "included" || item.issueState === "confirmed").length,
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, reader));
  return deliveries;
}
