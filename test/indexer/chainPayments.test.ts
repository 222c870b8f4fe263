// On-chain payments through the order service after finality: exact, under, over, late and
// duplicate payments each reach their state; a payment for no known order or in an asset the
// platform does not take is recorded too; processing twice changes nothing.
import { expect } from "chai";
import { stringToHex, type Hex } from "viem";
import { processChainPayments } from "../../api/services/orders/processChainPayments.ts";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { sql, type SQL } from "../../indexer/store/sql.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { runUntilHead, testOptions } from "./support/harness.ts";

const native = "0x0000000000000000000000000000000000000000";

describe("indexer: on-chain payments after finality", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let database: TestDatabase;
  let emitters: EmitterSet;
  let session: SqlSession;
  let chainId: number;
  const accepted: string[] = [];
  const parameters = () => ({
    chainId,
    assets: new Map([[native, "ETH"]]),
    platformFeeBps: 500,
    batchSizeMax: 100,
    onAccepted: async (orderId: string) => void accepted.push(orderId),
  });

  before(async () => {
    [chain, database] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 4 })]);
    emitters = await deployEmitters(chain.rpcUrl);
    chainId = await emitters.publicClient.getChainId();
    session = await openSession(database);
    const one = async <R>(statement: SQL) => (await session.query<R>(statement)).rows[0]!;
    const account = await one<{ id: bigint }>(
      sql`INSERT INTO accounts (email, password_hash, roles) VALUES ('p@example.test', 'x', ARRAY['merchant','buyer']) RETURNING id`,
    );
    const shop = await one<{ id: bigint }>(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES (${account.id}, 'shop-p', 'Shop', '\\x00', 'k1') RETURNING id`,
    );
    const product = await one<{ id: bigint }>(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency, delivery_mode) VALUES (${shop.id}, 'Card', 'game_card', 1000, 'ETH', 'manual') RETURNING id`,
    );
    for (const [id, expiresIn] of [
      ["ord_exact", "1 hour"],
      ["ord_under", "1 hour"],
      ["ord_over", "1 hour"],
      ["ord_late", "-1 hour"],
      ["ord_dup", "1 hour"],
    ] as const) {
      await session.query(
        sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, payment_method, expires_at)
         VALUES (${id}, ${shop.id}, ${product.id}, ${account.id}, 1, 1000, 1000, 'ETH', 'chain', now() + ${expiresIn}::interval)`,
      );
    }
    const pay = (orderId: string, amount: bigint, token: Hex = native) =>
      emitters.send(emitters.payment, "pay", [stringToHex(orderId, { size: 32 }), token, amount]);
    await pay("ord_exact", 1000n);
    await pay("ord_under", 999n);
    await pay("ord_over", 1001n);
    await pay("ord_late", 1000n);
    await pay("ord_dup", 1000n);
    await pay("ord_dup", 1000n);
    await pay("ord_nobody", 1000n);
    await pay("ord_exact", 1000n, "0x00000000000000000000000000000000000000aa");
    await runUntilHead({
      database,
      chainId,
      rpcUrl: chain.rpcUrl,
      emitters,
      options: testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth: 3 }),
    });
  });
  after(async () => {
    await session?.close();
    await database?.drop();
    await chain?.stop();
  });

  it("processes only payments whose blocks are final", async () => {
    const result = await processChainPayments(database.db, parameters());
    // Only the blocks at least 3 deep are final: the last three payments wait.
    const { rows } = await session.query<{ count: bigint }>(sql`SELECT count(*) FROM chain_payment_outcomes`);
    expect(Number(rows[0]!.count)).to.equal(result.processed);
    expect(result.processed).to.be.lessThan(8);
  });

  it("sends exact, under, over, late and duplicate payments to their states once final, and records the rest", async () => {
    for (let block = 0; block < 3; block++) await emitters.publicClient.request({ method: "evm_mine" } as never);
    await runUntilHead({
      database,
      chainId,
      rpcUrl: chain.rpcUrl,
      emitters,
      options: testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth: 3 }),
    });
    await processChainPayments(database.db, parameters());
    const outcomes = await session.query<{ order_id: string; outcome: string }>(
      sql`SELECT order_id, outcome FROM chain_payment_outcomes ORDER BY block_number, log_index`,
    );
    expect(outcomes.rows.map((row) => [row.order_id, row.outcome])).to.deep.equal([
      ["ord_exact", "accepted"],
      ["ord_under", "underpaid"],
      ["ord_over", "overpaid"],
      ["ord_late", "late"],
      ["ord_dup", "accepted"],
      ["ord_dup", "duplicate"],
      ["ord_nobody", "unknown_order"],
      ["ord_exact", "unsupported_asset"],
    ]);
    const orders = await session.query<{ id: string; state: string }>(sql`SELECT id, state FROM orders ORDER BY id`);
    expect(Object.fromEntries(orders.rows.map((row) => [row.id, row.state]))).to.deep.equal({
      ord_dup: "paid",
      ord_exact: "paid",
      ord_late: "expired",
      ord_over: "awaiting_payment",
      ord_under: "awaiting_payment",
    });
    // In the chain's order (exact first payments are accepted together, before the careful ones).
    const payments = await session.query<{ order_id: string; status: string; provider: string }>(
      sql`SELECT p.order_id, p.status, p.provider FROM payments p JOIN chain_payment_outcomes x ON x.provider_ref = p.provider_ref
          ORDER BY x.block_number, x.log_index`,
    );
    expect(payments.rows.map((row) => [row.order_id, row.status, row.provider])).to.deep.equal([
      ["ord_exact", "accepted", "chain"],
      ["ord_under", "underpaid", "chain"],
      ["ord_over", "overpaid", "chain"],
      ["ord_late", "late", "chain"],
      ["ord_dup", "accepted", "chain"],
      ["ord_dup", "duplicate", "chain"],
    ]);
    expect(accepted.sort()).to.deep.equal(["ord_dup", "ord_exact"]);
    // Each accepted payment's ledger entry, once: the exact ones are posted after their statement commits.
    const entries = await session.query<{ key: string; n: string }>(
      sql`SELECT idempotency_key AS key, count(*)::text AS n FROM ledger_transactions WHERE idempotency_key LIKE 'order:%:payment' GROUP BY 1 ORDER BY 1`,
    );
    expect(entries.rows.map((row) => [row.key, row.n])).to.deep.equal([
      ["order:ord_dup:payment", "1"],
      ["order:ord_exact:payment", "1"],
    ]);
  });

  it("changes nothing when run again", async () => {
    const again = await processChainPayments(database.db, parameters());
    expect(again.processed).to.equal(0);
    const { rows } = await session.query<{ count: bigint }>(sql`SELECT count(*) FROM payments`);
    expect(Number(rows[0]!.count)).to.equal(6);
  });
});
