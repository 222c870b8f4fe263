// Anti-money-laundering controls over the ledger (docs/compliance.md): the rules evaluated as
// money moves (payout rules in the payout request's own transaction, payment rules by the
// maintenance sweep over new order payment entries), each alert with the journal transactions
// that caused it; an admin clears, freezes (a ledger hold on the shop's payable) or releases.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { approvePayout, rejectPayout } from "../../ledger/flows.ts";
import { holdIdByReference, resolveHold } from "../../ledger/holds.ts";
import { postJournal } from "../../ledger/postJournal.ts";
import { recordAudit } from "../audit.ts";
import {
  type AmlRule,
  type AmlSettings,
  payoutAboveThreshold,
  payoutVelocityExceeded,
  spikeAverageWindows,
  structuringDetected,
  volumeSpiked,
} from "./amlRules.ts";

/**
 * Whose money a payout draws: a shop's payable, or a distributor's (an agent's or referrer's)
 * released earnings. An alert names exactly one of them.
 */
export type PayoutOwner = { shopId: bigint; distributorAccountId?: undefined } | { distributorAccountId: bigint; shopId?: undefined };

/**
 * The owner's ledger accounts a payout draws on: the payable one (the request debits it, a freeze
 * holds from it) and the holding one (the request credits it, where velocity counts requests).
 */
function payoutAccounts(owner: PayoutOwner) {
  if (owner.distributorAccountId !== undefined) {
    const ownerId = owner.distributorAccountId;
    return {
      payable: { ownerType: "distributor" as const, ownerId, purpose: "proceeds" as const },
      holding: { ownerType: "distributor" as const, ownerId, purpose: "payout_holds" as const },
      label: `Distributor ${ownerId}`,
    };
  }
  const ownerId = owner.shopId;
  return {
    payable: { ownerType: "shop" as const, ownerId, purpose: "payable" as const },
    holding: { ownerType: "shop" as const, ownerId, purpose: "holds" as const },
    label: `Shop ${ownerId}`,
  };
}

type NewAlert = PayoutOwner & {
  rule: AmlRule;
  dedupeKey: string;
  payoutId?: string;
  currency: string;
  amountMinor: bigint;
  details: Record<string, string | number | boolean>;
  transactionIds: bigint[];
};

/** Inserts an alert and its evidence once per dedupe key; answers its id when it is new. */
async function raiseAlert(db: Drizzle, alert: NewAlert): Promise<bigint | undefined> {
  const row = await queryOne<{ id: string }>(
    db,
    sql`INSERT INTO aml_alerts (rule, dedupe_key, shop_id, distributor_account_id, payout_id, currency, amount_minor, details)
        VALUES (${alert.rule}, ${alert.dedupeKey}, ${alert.shopId ?? null}, ${alert.distributorAccountId ?? null}, ${alert.payoutId ?? null}, ${alert.currency}, ${alert.amountMinor},
                ${JSON.stringify(alert.details)}::jsonb)
        ON CONFLICT (dedupe_key) DO NOTHING RETURNING id::text`,
  );
  if (!row) return undefined;
  const id = BigInt(row.id);
  for (const transactionId of alert.transactionIds) {
    await db.execute(sql`INSERT INTO aml_alert_entries (alert_id, transaction_id) VALUES (${id}, ${transactionId}) ON CONFLICT DO NOTHING`);
  }
  return id;
}

export type PayoutForReview = PayoutOwner & { payoutId: string; amountMinor: bigint; currency: string; wallet?: string };

/**
 * The payout rules, inside the payout request's transaction (after its hold is written), so the
 * alerts commit with the payout and no approval can come between them. Answers the rules that
 * fired: the payout is then held for review until every alert on it is cleared. The same rules
 * for a shop's payout and a distributor's; velocity counts the owner's own requests.
 */
export async function reviewPayout(db: Drizzle, settings: AmlSettings, payout: PayoutForReview): Promise<AmlRule[]> {
  const request = await queryOne<{ id: string }>(
    db,
    sql`SELECT id::text FROM ledger_transactions WHERE idempotency_key = ${`payout:${payout.payoutId}:request`}`,
  );
  if (!request) throw new AppError("not_found", `No payout ${payout.payoutId}.`);
  const requestId = BigInt(request.id);
  const owner: PayoutOwner = payout.distributorAccountId !== undefined ? { distributorAccountId: payout.distributorAccountId } : { shopId: payout.shopId };
  const { holding } = payoutAccounts(owner);
  const base = { ...owner, payoutId: payout.payoutId, currency: payout.currency, amountMinor: payout.amountMinor };
  const fired: AmlRule[] = [];
  if (payoutAboveThreshold(settings, payout.amountMinor, payout.currency)) {
    const threshold = settings.payoutThresholdMinor[payout.currency]!;
    await raiseAlert(db, {
      ...base,
      rule: "payout_threshold",
      dedupeKey: `payout_threshold:${payout.payoutId}`,
      details: { thresholdMinor: threshold.toString() },
      transactionIds: [requestId],
    });
    fired.push("payout_threshold");
  }
  // The owner's payout requests of the window, read from the journal (its holding account credited).
  const recent = await queryRows<{ id: string }>(
    db,
    sql`SELECT DISTINCT t.id::text FROM ledger_transactions t
          JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.kind = 'payout_request' AND a.owner_type = ${holding.ownerType} AND a.owner_id = ${holding.ownerId} AND a.purpose = ${holding.purpose}
          AND t.created_at > now() - make_interval(secs => ${settings.windowSeconds})
        ORDER BY 1`,
  );
  const recentIds = recent.map((row) => BigInt(row.id));
  if (!recentIds.includes(requestId)) recentIds.push(requestId);
  if (payoutVelocityExceeded(settings, recentIds.length)) {
    await raiseAlert(db, {
      ...base,
      rule: "payout_velocity",
      dedupeKey: `payout_velocity:${payout.payoutId}`,
      details: { requestsInWindow: recentIds.length, windowSeconds: settings.windowSeconds },
      transactionIds: recentIds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    });
    fired.push("payout_velocity");
  }
  if (payout.wallet) {
    const wallet = payout.wallet.toLowerCase();
    const listed = await queryOne<{ reason: string }>(db, sql`SELECT reason FROM aml_flagged_wallets WHERE address = ${wallet}`);
    const reason = listed?.reason ?? (settings.flaggedWallets.includes(wallet) ? "configured (AML_FLAGGED_WALLETS)" : undefined);
    if (reason !== undefined) {
      await raiseAlert(db, {
        ...base,
        rule: "flagged_wallet",
        dedupeKey: `flagged_wallet:${payout.payoutId}`,
        details: { wallet, listedBecause: reason },
        transactionIds: [requestId],
      });
      fired.push("flagged_wallet");
    }
  }
  return fired;
}

/**
 * Refuses to approve a payout while an alert on it is open or frozen. The alerts are share-locked:
 * a freeze or clear of one (which locks it for update) either committed before and is seen, or
 * waits for this approval's transaction; a freeze that then voids the payout hold finds it posted
 * only if every alert was already cleared.
 */
export async function assertPayoutReleasable(db: Drizzle, payoutId: string): Promise<void> {
  const blocking = await queryRows<{ id: string; rule: string; state: string }>(
    db,
    sql`SELECT id::text, rule, state FROM aml_alerts WHERE payout_id = ${payoutId} ORDER BY id FOR SHARE`,
  );
  const held = blocking.filter((alert) => alert.state === "open" || alert.state === "frozen");
  if (held.length > 0) {
    throw new AppError(
      "aml_review_pending",
      `Payout ${payoutId} is held by anti-money-laundering review (${held.map((alert) => `alert ${alert.id}: ${alert.rule}, ${alert.state}`).join("; ")}); it can be approved once every alert on it is cleared.`,
      { details: { alerts: held.map((alert) => alert.id) } },
    );
  }
}

// Order payments of the ledger with who paid and when: the money from the journal (what the
// clearing account was debited), the payer and the time from the order. A payer is named by
// wallet, account id or a hash of the guest contact: never by the contact itself.
const payments = sql`
  SELECT t.id AS tx_id, o.shop_id, o.currency, coalesce(o.paid_at, t.created_at) AS paid_at,
         (SELECT -sum(p.amount_minor) FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
            WHERE p.tx_id = t.id AND a.owner_type = 'platform' AND a.purpose LIKE 'clearing%') AS amount_minor,
         CASE WHEN cp.payer IS NOT NULL THEN 'wallet:' || lower(cp.payer)
              WHEN o.buyer_account_id IS NOT NULL THEN 'account:' || o.buyer_account_id
              ELSE 'contact:' || left(encode(sha256(convert_to(lower(coalesce(o.contact, '')), 'UTF8')), 'hex'), 16) END AS payer
  FROM ledger_transactions t JOIN orders o ON o.id = t.reference_id
    LEFT JOIN LATERAL (SELECT payer FROM chain_payments c WHERE c.order_id = o.id LIMIT 1) cp ON true
  WHERE t.kind = 'order_payment' AND t.reference_type = 'order'`;

/** Entries newer than this are evaluated again next sweep: a lower id may still commit after a higher one. */
const cursorSettleSeconds = 300;
const sweepEntriesMax = 2_000;
const evidenceMax = 200;

export type AmlSweepReturnType = { evaluated: number; alerts: number };

/**
 * The payment rules over order payment entries posted since the sweep's cursor: for each shop and
 * currency they touched, structuring (many small payments from one payer) and a volume spike
 * against the shop's history. `now` is for tests (a crafted history); it defaults to the database's clock.
 */
export async function runAmlSweep(db: Drizzle, settings: AmlSettings, options: { now?: Date; limit?: number } = {}): Promise<AmlSweepReturnType> {
  const now = options.now ? sql`${options.now.toISOString()}::timestamptz` : sql`now()`;
  // The cursor moves up to the first entry still young enough that a lower id might yet commit.
  const touched = await queryRows<{ shop_id: string; currency: string; settled_to: string | null }>(
    db,
    sql`WITH fresh AS (
          SELECT t.id, t.created_at, o.shop_id, o.currency FROM ledger_transactions t JOIN orders o ON o.id = t.reference_id
          WHERE t.kind = 'order_payment' AND t.reference_type = 'order'
            AND t.id > (SELECT position FROM sweep_cursors WHERE name = 'aml-payments-from')
          ORDER BY t.id LIMIT ${options.limit ?? sweepEntriesMax}),
        settled AS (
          SELECT coalesce((SELECT min(id) - 1 FROM fresh WHERE created_at >= now() - make_interval(secs => ${cursorSettleSeconds})),
                          (SELECT max(id) FROM fresh)) AS settled_to)
        SELECT shop_id::text, currency, (SELECT settled_to FROM settled)::text AS settled_to
        FROM fresh GROUP BY shop_id, currency`,
  );
  let alerts = 0;
  for (const group of touched) {
    const shopId = BigInt(group.shop_id);
    alerts += await evaluateStructuring(db, settings, shopId, group.currency, now);
    alerts += await evaluateSpike(db, settings, shopId, group.currency, now);
  }
  const settledTo = touched[0]?.settled_to;
  if (settledTo) {
    await db.execute(sql`UPDATE sweep_cursors SET position = GREATEST(position, ${BigInt(settledTo)}) WHERE name = 'aml-payments-from'`);
  }
  return { evaluated: touched.length, alerts };
}

async function evaluateStructuring(db: Drizzle, settings: AmlSettings, shopId: bigint, currency: string, now: ReturnType<typeof sql>): Promise<number> {
  const small = settings.smallPaymentMinor[currency];
  if (small === undefined) return 0;
  // Payments already shown by a structuring alert do not count again: a new alert needs as many new ones.
  const payers = await queryRows<{ payer: string; ids: string[]; total: string; n: string }>(
    db,
    sql`SELECT payer, array_agg(tx_id::text ORDER BY tx_id) AS ids, sum(amount_minor)::text AS total, count(*)::text AS n
        FROM (${payments}) pay
        WHERE pay.shop_id = ${shopId} AND pay.currency = ${currency} AND pay.amount_minor <= ${small}
          AND pay.paid_at > ${now} - make_interval(secs => ${settings.windowSeconds}) AND pay.paid_at <= ${now}
          AND NOT EXISTS (SELECT 1 FROM aml_alert_entries e JOIN aml_alerts al ON al.id = e.alert_id
                          WHERE e.transaction_id = pay.tx_id AND al.rule = 'structuring')
        GROUP BY payer`,
  );
  let raised = 0;
  for (const payer of payers) {
    const total = BigInt(payer.total);
    if (!structuringDetected(settings, Number(payer.n)) || total <= 0n) continue;
    const id = await raiseAlert(db, {
      rule: "structuring",
      dedupeKey: `structuring:${shopId}:${currency}:${payer.payer}:${payer.ids[0]}`,
      shopId,
      currency,
      amountMinor: total,
      details: { payer: payer.payer, payments: Number(payer.n), smallPaymentMinor: small.toString(), windowSeconds: settings.windowSeconds },
      transactionIds: payer.ids.slice(0, evidenceMax).map(BigInt),
    });
    if (id !== undefined) raised++;
  }
  return raised;
}

async function evaluateSpike(db: Drizzle, settings: AmlSettings, shopId: bigint, currency: string, now: ReturnType<typeof sql>): Promise<number> {
  const window = settings.windowSeconds;
  const volume = await queryOne<{ recent: string; history: string; first_at: Date | string | null; now_at: Date | string; ids: string[] | null }>(
    db,
    sql`SELECT coalesce(sum(amount_minor) FILTER (WHERE paid_at > ${now} - make_interval(secs => ${window})), 0)::text AS recent,
               coalesce(sum(amount_minor) FILTER (WHERE paid_at <= ${now} - make_interval(secs => ${window})
                                                   AND paid_at > ${now} - make_interval(secs => ${window * (spikeAverageWindows + 1)})), 0)::text AS history,
               min(paid_at) AS first_at, ${now} AS now_at,
               (array_agg(tx_id::text ORDER BY tx_id) FILTER (WHERE paid_at > ${now} - make_interval(secs => ${window})))[1:${evidenceMax}] AS ids
        FROM (${payments}) pay
        WHERE pay.shop_id = ${shopId} AND pay.currency = ${currency} AND pay.paid_at <= ${now}`,
  );
  if (!volume?.first_at || !volume.ids) return 0;
  const nowMs = new Date(volume.now_at).getTime();
  const historyWindows = Math.floor((nowMs - window * 1000 - new Date(volume.first_at).getTime()) / (window * 1000));
  const figures = { recentMinor: BigInt(volume.recent), historyMinor: BigInt(volume.history), historyWindows };
  if (!volumeSpiked(settings, currency, figures)) return 0;
  const id = await raiseAlert(db, {
    rule: "volume_spike",
    dedupeKey: `volume_spike:${shopId}:${currency}:${Math.floor(nowMs / (window * 1000))}`,
    shopId,
    currency,
    amountMinor: figures.recentMinor,
    details: {
      recentMinor: figures.recentMinor.toString(),
      averageMinor: (figures.historyMinor / BigInt(spikeAverageWindows)).toString(),
      factor: settings.spikeFactor,
      windowSeconds: window,
    },
    transactionIds: volume.ids.map(BigInt),
  });
  return id === undefined ? 0 : 1;
}

// ---- Decisions --------------------------------------------------------------------------------

export type AlertDecision = "clear" | "freeze" | "release";

type LockedAlert = {
  id: string;
  shop_id: string | null;
  distributor_account_id: string | null;
  payout_id: string | null;
  currency: string;
  amount_minor: string;
  state: string;
  freeze_hold_id: string | null;
};

const allowedFrom: Record<AlertDecision, string> = { clear: "open", freeze: "open", release: "frozen" };

/**
 * An admin's decision on an alert, once, in the caller's transaction (with its audit row):
 * - clear: nothing held any more by this alert (a payout it held may be approved once all its alerts are cleared);
 * - freeze: a payout the alert holds is rejected (its hold voided back to the payable), then the
 *   amount (the alert's, or less) is held on the shop's payable as a ledger hold without expiry
 *   (key aml:<alertId>:freeze), so no payout can draw it; insufficient_funds when the payable is
 *   smaller;
 * - release: the freeze hold is voided back to the payable.
 */
export async function decideAlert(
  db: Drizzle,
  parameters: { alertId: bigint; decision: AlertDecision; reason: string; actorId: bigint; amountMinor?: bigint },
): Promise<{ alertId: string; state: string; holdId: string | null }> {
  const { alertId, decision, reason, actorId } = parameters;
  const alert = await queryOne<LockedAlert>(
    db,
    sql`SELECT id::text, shop_id::text, distributor_account_id::text, payout_id, currency, amount_minor::text, state, freeze_hold_id::text
        FROM aml_alerts WHERE id = ${alertId} FOR UPDATE`,
  );
  if (!alert) throw new AppError("not_found", `No alert ${alertId}.`);
  if (alert.state !== allowedFrom[decision]) {
    throw new AppError(
      "invalid_state",
      `Alert ${alertId} is ${alert.state}; it can be ${decision === "release" ? "released only when frozen" : "cleared or frozen only when open"}.`,
    );
  }
  const owner: PayoutOwner =
    alert.distributor_account_id !== null ? { distributorAccountId: BigInt(alert.distributor_account_id) } : { shopId: BigInt(alert.shop_id!) };
  let holdId: bigint | null = alert.freeze_hold_id === null ? null : BigInt(alert.freeze_hold_id);
  let state = "cleared";
  if (decision === "freeze") {
    if (alert.payout_id !== null) {
      const payoutHold = await queryOne<{ state: string }>(
        db,
        sql`SELECT state FROM ledger_holds WHERE reference_type = 'payout' AND reference_id = ${alert.payout_id}`,
      );
      if (payoutHold?.state === "pending") await rejectPayout(db, { payoutId: alert.payout_id });
    }
    const amountMinor = parameters.amountMinor ?? BigInt(alert.amount_minor);
    if (amountMinor <= 0n || amountMinor > BigInt(alert.amount_minor)) {
      throw new AppError("validation_failed", `amountMinor must be between 1 and the alert's amount, ${alert.amount_minor}.`);
    }
    // A shop's freeze holds from its payable into its holds account; a distributor's from its
    // proceeds into its payout holds: in both, the account every payout request draws on.
    const { payable, holding: holds, label } = payoutAccounts(owner);
    const reference = { type: "hold" as const, id: `aml:${alertId}` };
    try {
      await postJournal(db, {
        idempotencyKey: `aml:${alertId}:freeze`,
        kind: "aml_freeze",
        reference,
        metadata: { alertId: alertId.toString() },
        postings: [
          { account: payable, amountMinor: -amountMinor, currency: alert.currency },
          { account: holds, amountMinor, currency: alert.currency },
        ],
        hold: { holdingAccount: holds, postAccount: payable, voidAccount: payable, amountMinor, currency: alert.currency },
      });
    } catch (error) {
      if (error instanceof AppError && error.code === "insufficient_funds") {
        throw new AppError(
          "insufficient_funds",
          `${label} has less than ${amountMinor} ${alert.currency} payable to freeze; freeze a smaller amount (amountMinor).`,
        );
      }
      throw error;
    }
    holdId = await holdIdByReference(db, reference);
    state = "frozen";
  } else if (decision === "release") {
    await resolveHold(db, { holdId: holdId!, action: "void" });
    state = "released";
  }
  await db.execute(sql`UPDATE aml_alerts SET state = ${state}, freeze_hold_id = ${holdId} WHERE id = ${alertId}`);
  await db.execute(
    sql`INSERT INTO aml_decisions (alert_id, decision, reason, decided_by, hold_id) VALUES (${alertId}, ${decision}, ${reason}, ${actorId}, ${holdId})`,
  );
  await recordAudit(db, { accountId: actorId, action: `aml.${decision}`, subject: `aml_alert:${alertId}`, details: { reason } });
  return { alertId: alertId.toString(), state, holdId: holdId === null ? null : holdId.toString() };
}

// ---- Reading ----------------------------------------------------------------------------------

export type AlertEntry = {
  transactionId: string;
  kind: string;
  referenceType: string;
  referenceId: string;
  createdAt: string;
  postings: { accountId: string; ownerType: string; ownerId: string; purpose: string; currency: string; amountMinor: string }[];
};

export type AlertView = {
  id: string;
  rule: AmlRule;
  shopId: string | null;
  distributorAccountId: string | null;
  payoutId: string | null;
  currency: string;
  amountMinor: string;
  details: Record<string, unknown>;
  state: string;
  freezeHoldId: string | null;
  createdAt: string;
  entries: AlertEntry[];
  decisions: { decision: string; reason: string; decidedBy: string; decidedAt: string; holdId: string | null }[];
};

type AlertRow = {
  id: string;
  rule: AmlRule;
  shop_id: string | null;
  distributor_account_id: string | null;
  payout_id: string | null;
  currency: string;
  amount_minor: string;
  details: Record<string, unknown>;
  state: string;
  freeze_hold_id: string | null;
  created_at: Date | string;
};

const alertColumns = sql`id::text, rule, shop_id::text, distributor_account_id::text, payout_id, currency, amount_minor::text, details, state, freeze_hold_id::text, created_at`;

/** The queue: alerts newest first (by state when given), keyset-paginated by id. */
export async function listAlerts(db: Drizzle, parameters: { state?: string; beforeId?: bigint; limit: number }): Promise<AlertView[]> {
  const rows = await queryRows<AlertRow>(
    db,
    sql`SELECT ${alertColumns} FROM aml_alerts
        WHERE (${parameters.state ?? null}::text IS NULL OR state = ${parameters.state ?? null})
          AND (${parameters.beforeId ?? null}::bigint IS NULL OR id < ${parameters.beforeId ?? null})
        ORDER BY id DESC LIMIT ${parameters.limit}`,
  );
  return withEvidence(db, rows);
}

export async function getAlert(db: Drizzle, alertId: bigint): Promise<AlertView> {
  const rows = await queryRows<AlertRow>(db, sql`SELECT ${alertColumns} FROM aml_alerts WHERE id = ${alertId}`);
  if (rows.length === 0) throw new AppError("not_found", `No alert ${alertId}.`);
  return (await withEvidence(db, rows))[0]!;
}

async function withEvidence(db: Drizzle, rows: AlertRow[]): Promise<AlertView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => BigInt(row.id));
  const idList = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  const postings = await queryRows<{
    alert_id: string;
    tx_id: string;
    kind: string;
    reference_type: string;
    reference_id: string;
    created_at: Date | string;
    account_id: string;
    owner_type: string;
    owner_id: string;
    purpose: string;
    currency: string;
    amount_minor: string;
  }>(
    db,
    sql`SELECT e.alert_id::text, t.id::text AS tx_id, t.kind, t.reference_type, t.reference_id, t.created_at,
               a.id::text AS account_id, a.owner_type, a.owner_id::text, a.purpose, p.currency, p.amount_minor::text
        FROM aml_alert_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
          JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE e.alert_id IN (${idList}) ORDER BY e.alert_id, t.id, a.id`,
  );
  const decisions = await queryRows<{
    alert_id: string;
    decision: string;
    reason: string;
    decided_by: string;
    decided_at: Date | string;
    hold_id: string | null;
  }>(
    db,
    sql`SELECT alert_id::text, decision, reason, decided_by::text, decided_at, hold_id::text FROM aml_decisions WHERE alert_id IN (${idList}) ORDER BY id`,
  );
  return rows.map((row) => {
    const entries = new Map<string, AlertEntry>();
    for (const posting of postings.filter((p) => p.alert_id === row.id)) {
      let entry = entries.get(posting.tx_id);
      if (!entry) {
        entry = {
          transactionId: posting.tx_id,
          kind: posting.kind,
          referenceType: posting.reference_type,
          referenceId: posting.reference_id,
          createdAt: new Date(posting.created_at).toISOString(),
          postings: [],
        };
        entries.set(posting.tx_id, entry);
      }
      entry.postings.push({
        accountId: posting.account_id,
        ownerType: posting.owner_type,
        ownerId: posting.owner_id,
        purpose: posting.purpose,
        currency: posting.currency,
        amountMinor: posting.amount_minor,
      });
    }
    return {
      id: row.id,
      rule: row.rule,
      shopId: row.shop_id,
      distributorAccountId: row.distributor_account_id,
      payoutId: row.payout_id,
      currency: row.currency,
      amountMinor: row.amount_minor,
      details: row.details,
      state: row.state,
      freezeHoldId: row.freeze_hold_id,
      createdAt: new Date(row.created_at).toISOString(),
      entries: [...entries.values()],
      decisions: decisions
        .filter((decision) => decision.alert_id === row.id)
        .map((decision) => ({
          decision: decision.decision,
          reason: decision.reason,
          decidedBy: decision.decided_by,
          decidedAt: new Date(decision.decided_at).toISOString(),
          holdId: decision.hold_id,
        })),
    };
  });
}

// ---- Flagged wallets ----------------------------------------------------------------------------

export async function flagWallet(db: Drizzle, parameters: { address: string; reason: string; actorId: bigint }): Promise<void> {
  await db.execute(
    sql`INSERT INTO aml_flagged_wallets (address, reason, added_by) VALUES (${parameters.address.toLowerCase()}, ${parameters.reason}, ${parameters.actorId})
        ON CONFLICT (address) DO UPDATE SET reason = EXCLUDED.reason, added_by = EXCLUDED.added_by, added_at = now()`,
  );
  await recordAudit(db, {
    accountId: parameters.actorId,
    action: "aml.wallet_flagged",
    subject: `wallet:${parameters.address.toLowerCase()}`,
    details: { reason: parameters.reason },
  });
}

export async function unflagWallet(db: Drizzle, parameters: { address: string; actorId: bigint }): Promise<boolean> {
  const removed = await queryRows(db, sql`DELETE FROM aml_flagged_wallets WHERE address = ${parameters.address.toLowerCase()} RETURNING address`);
  if (removed.length > 0)
    await recordAudit(db, { accountId: parameters.actorId, action: "aml.wallet_unflagged", subject: `wallet:${parameters.address.toLowerCase()}` });
  return removed.length > 0;
}

export async function listFlaggedWallets(
  db: Drizzle,
  settings: AmlSettings,
): Promise<{ address: string; reason: string; source: "admin" | "configuration" }[]> {
  const rows = await queryRows<{ address: string; reason: string }>(db, sql`SELECT address, reason FROM aml_flagged_wallets ORDER BY address`);
  const listed: { address: string; reason: string; source: "admin" | "configuration" }[] = rows.map((row) => ({
    address: row.address,
    reason: row.reason,
    source: "admin",
  }));
  for (const address of settings.flaggedWallets) {
    if (!listed.some((row) => row.address === address)) listed.push({ address, reason: "configured (AML_FLAGGED_WALLETS)", source: "configuration" });
  }
  return listed;
}

/** Records where a payout is paid to (once per payout; a retried request keeps the first). */
export async function recordPayoutDestination(db: Drizzle, parameters: PayoutOwner & { payoutId: string; wallet: string }): Promise<void> {
  await db.execute(
    sql`INSERT INTO payout_destinations (payout_id, shop_id, distributor_account_id, wallet)
        VALUES (${parameters.payoutId}, ${parameters.shopId ?? null}, ${parameters.distributorAccountId ?? null}, ${parameters.wallet.toLowerCase()})
        ON CONFLICT (payout_id) DO NOTHING`,
  );
}

/** An admin's approval of a payout, refused while an AML alert holds it (in the caller's transaction). */
export async function approvePayoutAfterReview(db: Drizzle, payoutId: string) {
  await assertPayoutReleasable(db, payoutId);
  return approvePayout(db, { payoutId });
}

/** The rules whose alerts hold a payout (for a retried request: what the first one raised). */
export async function payoutAlertRules(db: Drizzle, payoutId: string): Promise<AmlRule[]> {
  const rows = await queryRows<{ rule: AmlRule }>(db, sql`SELECT rule FROM aml_alerts WHERE payout_id = ${payoutId} ORDER BY id`);
  return rows.map((row) => row.rule);
}
