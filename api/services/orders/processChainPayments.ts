// On-chain payments, after finality: every final OrderPaid not yet processed goes through the
// order service's acceptCarefully (api/services/orders/acceptPayment.ts) exactly like an EPay notification (provider "chain",
// providerRef "chainId:txHash:logIndex", unique, so a repeat changes nothing), then its outcome
// is recorded in chain_payment_outcomes (the outbox mark). A crash between the two repeats
// acceptCarefully, which answers "replayed". Accepted orders are handed to onAccepted (the entry
// point enqueues fulfilment). Underpaid, overpaid, late and duplicate payments are recorded by
// acceptCarefully with that status (refund path); a payment for no known order or in an asset the
// platform does not take is recorded here. Nothing is dropped.
import { AppError } from "../../../core/errors.ts";
import { acceptCarefully } from "./acceptPayment.ts";
import { expireOrders } from "./expireOrders.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type ChainPaymentsParameters = {
  chainId: number;
  /** Lowercase token address -> currency code; the zero address is the native coin. */
  assets: ReadonlyMap<string, string>;
  platformFeeBps: number;
  /** Payments handled per call at most; the next call takes the rest. */
  batchSizeMax: number;
  onAccepted: (orderId: string) => Promise<void>;
};

type PendingPayment = {
  block_number: string;
  log_index: number;
  transaction_hash: string;
  order_id: string | null;
  token: string;
  amount: string;
  block_time: string | null;
  expires_at: Date | null;
};

const bigintMax = 2n ** 63n - 1n;

export async function processChainPayments(db: Drizzle, parameters: ChainPaymentsParameters): Promise<{ processed: number; outcomes: Record<string, number> }> {
  const pending = await queryRows<PendingPayment>(
    db,
    sql`SELECT p.block_number::text, p.log_index, p.transaction_hash, p.order_id, p.token, p.amount::text, b.timestamp::text AS block_time, o.expires_at
        FROM chain_payments p
          JOIN indexer_checkpoints c ON c.chain_id = p.chain_id AND p.block_number <= c.finalized_number
          LEFT JOIN chain_blocks b ON b.chain_id = p.chain_id AND b.number = p.block_number
          LEFT JOIN orders o ON o.id = p.order_id
        WHERE p.chain_id = ${parameters.chainId}
          AND NOT EXISTS (SELECT 1 FROM chain_payment_outcomes x WHERE x.chain_id = p.chain_id AND x.block_number = p.block_number AND x.log_index = p.log_index)
        ORDER BY p.block_number, p.log_index LIMIT ${parameters.batchSizeMax}`,
  );
  const outcomes: Record<string, number> = {};
  for (const payment of pending) {
    const providerRef = `${parameters.chainId}:${payment.transaction_hash}:${payment.log_index}`;
    const outcome = await processOne(db, parameters, payment, providerRef);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    await db.execute(
      sql`INSERT INTO chain_payment_outcomes (chain_id, block_number, log_index, provider_ref, order_id, outcome)
          VALUES (${parameters.chainId}, ${payment.block_number}::bigint, ${payment.log_index}, ${providerRef}, ${payment.order_id}, ${outcome})
          ON CONFLICT DO NOTHING`,
    );
  }
  return { processed: pending.length, outcomes };
}

async function processOne(db: Drizzle, parameters: ChainPaymentsParameters, payment: PendingPayment, providerRef: string): Promise<string> {
  const currency = parameters.assets.get(payment.token);
  if (!currency) return "unsupported_asset";
  if (!payment.order_id || payment.expires_at === null) return "unknown_order";
  const amountMinor = BigInt(payment.amount);
  // Paid after the order expired (by block time): let the expiry run first so the order service
  // sees an expired order and records the payment as late, whatever the expiry job's timing.
  if (payment.block_time !== null && Number(payment.block_time) * 1000 > new Date(payment.expires_at).getTime()) {
    await expireOrders(db, { limit: parameters.batchSizeMax });
  }
  try {
    const { outcome, order } = await acceptCarefully(
      db,
      { platformFeeBps: parameters.platformFeeBps },
      {
        orderId: payment.order_id,
        provider: "chain",
        providerRef,
        // An amount beyond bigint is certainly an overpayment; the payments row keeps the cap.
        amountMinor: amountMinor > bigintMax ? bigintMax : amountMinor,
        currency,
      },
    );
    if (outcome === "accepted") await parameters.onAccepted(order.id);
    return outcome;
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") return "unknown_order";
    throw error;
  }
}
