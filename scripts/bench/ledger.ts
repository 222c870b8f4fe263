// npm run bench:ledger: the ledger's write path against the real PostgreSQL server, on a fresh
// database it creates and drops. 8 concurrent writers (async loops, each one journal
// transaction at a time, like 8 single-concurrency workers) post through one process-wide
// group-commit batcher (api/ledger/batcher.ts) while the background hasher chains every entry.
//   low contention:  each transaction moves money between two of 20,000 distinct accounts;
//   high contention: every transaction is an order payment into the same shop (platform
//                    clearing -> platform fee + that shop's payable: three hot accounts).
// Prints name=value lines, the figures last. Flags: --seconds N (per phase), --writers N,
// --in-flight N (journal transactions each writer keeps in flight).
import { parseArgs } from "node:util";
import { createJournalBatcher } from "../../api/ledger/batcher.ts";
import { startHasherLoop, hashPendingEntries } from "../../api/ledger/hasher.ts";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import type { JournalInput } from "../../api/ledger/types.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { createServerDatabase } from "../../test/support/database.ts";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    writers: { type: "string", default: "8" },
    "in-flight": { type: "string", default: "16" },
    flushes: { type: "string", default: "2" },
  },
});
const phaseSeconds = Number(flags.seconds);
const writerCount = Number(flags.writers);
const inFlightPerWriter = Number(flags["in-flight"]);
// The batcher's knobs for this run (the defaults of core/config.ts's ledger settings).
const batcherOptions = { batchSizeMax: 500, flushesInFlightMax: Number(flags.flushes), batchWaitMs: 0, queueLengthMax: 100_000 };
const hasherOptions = { batchSizeMax: 2000, idleIntervalMs: 50 };
const lowContentionAccounts = 20_000;

type Phase = { name: string; entry(writer: number, sequence: number): JournalInput };

async function runPhase(db: Drizzle, phase: Phase): Promise<{ txPerSecond: number; lagMsMax: number; batches: number; batchSizeMaxSeen: number }> {
  const batcher = createJournalBatcher(db, batcherOptions);
  const hasher = startHasherLoop(db, { ...hasherOptions, onError: (error) => console.error("hasher:", error) });
  let oldestUnhashedMsMax = 0;
  const sampler = setInterval(() => {
    void queryOne<{ age_ms: number | null }>(
      db,
      sql`SELECT (extract(epoch FROM clock_timestamp() - min(t.created_at)) * 1000)::float8 AS age_ms
          FROM ledger_unhashed u JOIN ledger_transactions t ON t.id = u.tx_id`,
    ).then((row) => (oldestUnhashedMsMax = Math.max(oldestUnhashedMsMax, row?.age_ms ?? 0)));
  }, 100);
  const deadline = Date.now() + phaseSeconds * 1000;
  let posted = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: writerCount * inFlightPerWriter }, async (_, lane) => {
      const writer = lane % writerCount;
      let sequence = 0;
      while (Date.now() < deadline) {
        const result = await batcher.post(phase.entry(writer, lane * 1_000_000 + sequence++));
        if (!result.created) throw new Error("benchmark keys are unique: every post must create");
        posted += 1;
      }
    }),
  );
  const elapsedSeconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  await hasher.stop();
  const stats = batcher.stats();
  return {
    txPerSecond: posted / elapsedSeconds,
    lagMsMax: Math.max(hasher.lagMsMax(), oldestUnhashedMsMax),
    batches: stats.batches,
    batchSizeMaxSeen: stats.batchSizeMaxSeen,
  };
}

const database = await createServerDatabase({ poolSizeMax: batcherOptions.flushesInFlightMax + 3 });
try {
  const db = database.db;
  // Accounts exist before the clock starts: opening accounts is not what is measured.
  await db.execute(sql`
    INSERT INTO ledger_accounts (owner_type, owner_id, purpose, currency)
    SELECT 'buyer', g, 'payments', 'CNY' FROM generate_series(1, ${lowContentionAccounts}) g`);
  const first = await queryOne<{ id: bigint }>(db, sql`SELECT min(id) AS id FROM ledger_accounts`);
  const baseId = first!.id;
  const low: Phase = {
    name: "low",
    entry: (writer, sequence) => {
      // Two accounts drawn from a range of its own for each writer: no two writers share one.
      const span = BigInt(lowContentionAccounts / writerCount);
      const from = baseId + BigInt(writer) * span + ((BigInt(sequence) * 2n) % span);
      const to = baseId + BigInt(writer) * span + ((BigInt(sequence) * 2n + 1n) % span);
      return {
        idempotencyKey: `bench:low:${writer}:${sequence}`,
        kind: "transfer",
        reference: { type: "adjustment", id: `${writer}-${sequence}` },
        postings: [
          { account: from, amountMinor: -100n, currency: "CNY" },
          { account: to, amountMinor: 100n, currency: "CNY" },
        ],
      };
    },
  };
  const high: Phase = {
    name: "high",
    entry: (writer, sequence) => ({
      idempotencyKey: `bench:high:${writer}:${sequence}`,
      kind: "order_payment",
      reference: { type: "order", id: `bench-${writer}-${sequence}` },
      postings: [
        { account: { ownerType: "platform", ownerId: 0n, purpose: "clearing_epay" }, amountMinor: -1000n, currency: "CNY" },
        { account: { ownerType: "platform", ownerId: 0n, purpose: "fees" }, amountMinor: 50n, currency: "CNY" },
        { account: { ownerType: "shop", ownerId: 1n, purpose: "payable" }, amountMinor: 950n, currency: "CNY" },
      ],
    }),
  };
  const lowResult = await runPhase(db, low);
  console.log(`low_contention_batches=${lowResult.batches} low_contention_batch_size_max=${lowResult.batchSizeMaxSeen}`);
  const highResult = await runPhase(db, high);
  console.log(`high_contention_batches=${highResult.batches} high_contention_batch_size_max=${highResult.batchSizeMaxSeen}`);
  while ((await hashPendingEntries(db, { batchSizeMax: hasherOptions.batchSizeMax })).hashed > 0);
  const findings = await checkLedgerInvariants(db);
  const chained = await queryOne<{ n: bigint; t: bigint }>(
    db,
    sql`SELECT (SELECT count(*) FROM ledger_chain) AS n, (SELECT count(*) FROM ledger_transactions) AS t`,
  );
  console.log(`writers=${writerCount} in_flight_per_writer=${inFlightPerWriter} phase_seconds=${phaseSeconds}`);
  console.log(`journal_transactions=${chained!.t} chained=${chained!.n} balance_mismatches=${findings.balanceMismatches.length}`);
  console.log(`ledger_tx_per_s_low_contention=${Math.round(lowResult.txPerSecond)}`);
  console.log(`ledger_tx_per_s_high_contention=${Math.round(highResult.txPerSecond)}`);
  console.log(`hash_chain_lag_ms_max=${Math.round(Math.max(lowResult.lagMsMax, highResult.lagMsMax))}`);
  console.log(`unbalanced_transactions=${findings.unbalancedTransactions.length}`);
} finally {
  await database.drop();
}
