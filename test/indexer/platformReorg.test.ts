// A reorganisation that drops an anchor or an issuance puts the platform row back to 'pending'
// (so the chain writer sends it again), including an inclusion the chain writer saw that the
// indexer never did; the re-sent transaction then confirms once final.
import { expect } from "chai";
import type { Hex } from "viem";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { sql, type SQL } from "../../indexer/store/sql.ts";
import { startChain, type TestChain } from "../support/chain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { runUntilHead, testOptions } from "./support/harness.ts";

describe("indexer: reorgs and the platform's anchor and issuance states", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let database: TestDatabase;
  let emitters: EmitterSet;
  let session: SqlSession;
  let chainId: number;
  let batchId: bigint;
  let root: Hex;
  const finalityDepth = 6;

  const rpc = (method: string, params: unknown[] = []) => emitters.publicClient.request({ method, params } as never) as Promise<unknown>;
  const mine = async (blocks: number) => {
    for (let block = 0; block < blocks; block++) await rpc("evm_mine");
  };
  const index = () =>
    runUntilHead({ database, chainId, rpcUrl: chain.rpcUrl, emitters, options: testOptions({ deploymentBlock: emitters.deploymentBlock, finalityDepth }) });
  const batchState = async () =>
    (
      await session.query<{ anchor_state: string; anchor_tx: string | null; anchor_block: bigint | null }>(
        sql`SELECT anchor_state, anchor_tx, anchor_block FROM batches WHERE id = ${batchId}`,
      )
    ).rows[0]!;
  const entitlementState = async () =>
    (await session.query<{ issue_state: string; token_id: string | null }>(sql`SELECT issue_state, token_id::text FROM entitlements`)).rows[0]!;

  before(async () => {
    [chain, database] = await Promise.all([startChain(), createServerDatabase({ poolSizeMax: 3 })]);
    emitters = await deployEmitters(chain.rpcUrl);
    chainId = await emitters.publicClient.getChainId();
    session = await openSession(database);
    const one = async <R>(statement: SQL) => (await session.query<R>(statement)).rows[0]!;
    const account = await one<{ id: bigint }>(sql`INSERT INTO accounts (email, password_hash) VALUES ('r@example.test', 'x') RETURNING id`);
    const shop = await one<{ id: bigint }>(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id) VALUES (${account.id}, 'shop-r', 'Shop', '\\x00', 'k1') RETURNING id`,
    );
    const product = await one<{ id: bigint }>(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shop.id}, 'Card', 'game_card', 1000, 'CNY') RETURNING id`,
    );
    root = `0x${"ab".repeat(32)}`;
    const batch = await one<{ id: bigint }>(
      sql`INSERT INTO batches (shop_id, product_id, key_count, root, anchor_state) VALUES (${shop.id}, ${product.id}, 1, decode(${root.slice(2)}, 'hex'), 'submitted') RETURNING id`,
    );
    batchId = BigInt(batch.id);
    await session.query(
      sql`INSERT INTO orders (id, shop_id, product_id, buyer_account_id, quantity, unit_price_minor, amount_minor, currency, state, expires_at) VALUES ('ord_r', ${shop.id}, ${product.id}, ${account.id}, 1, 1000, 1000, 'CNY', 'fulfilled', now())`,
    );
    const key = await one<{ id: bigint }>(
      sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id)
       VALUES (${shop.id}, ${product.id}, ${batchId}, 0, '\\x01', '\\x02', decode(repeat('11', 32), 'hex'), '\\x03', '\\x04', '{}', 'sold', 'ord_r') RETURNING id`,
    );
    await session.query(
      sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, issue_state) VALUES (${key.id}, 'ord_r', ${shop.id}, ${product.id}, ${batchId}, 'submitted')`,
    );
  });
  after(async () => {
    await session?.close();
    await database?.drop();
    await chain?.stop();
  });

  it("marks an indexed anchor and issuance 'included', and puts them back to 'pending' when a reorg drops them", async () => {
    const snapshot = (await rpc("evm_snapshot")) as Hex;
    await emitters.send(emitters.registry, "anchor", [batchId, 1n, root, 1]);
    await emitters.send(emitters.entitlement, "issue", [batchId, 1n, emitters.account, [0]]);
    await index();
    expect((await batchState()).anchor_state).to.equal("included");
    expect(await entitlementState()).to.deep.equal({ issue_state: "included", token_id: "1" });

    await rpc("evm_revert", [snapshot]);
    await mine(3);
    await index();
    expect(await batchState()).to.deep.equal({ anchor_state: "pending", anchor_tx: null, anchor_block: null });
    expect(await entitlementState()).to.deep.equal({ issue_state: "pending", token_id: null });
  });

  it("confirms the re-sent anchor and issuance once final", async () => {
    await emitters.send(emitters.registry, "anchor", [batchId, 1n, root, 1]);
    await emitters.send(emitters.entitlement, "issue", [batchId, 5n, emitters.account, [0]]);
    await mine(finalityDepth);
    await index();
    expect((await batchState()).anchor_state).to.equal("confirmed");
    expect(await entitlementState()).to.deep.equal({ issue_state: "confirmed", token_id: "5" });
  });

  it("sends back an inclusion the chain writer saw but the indexer never did, once its block is final", async () => {
    // The chain writer saw a receipt at this block; the block was then orphaned before the
    // indexer polled, so the canonical chain has no anchor for this batch.
    const head = await emitters.publicClient.getBlockNumber({ cacheTime: 0 });
    const other = await session.query<{ id: bigint }>(
      sql`INSERT INTO batches (shop_id, product_id, key_count, root, anchor_state, anchor_tx, anchor_block)
       SELECT shop_id, product_id, 1, root, 'included', ${`0x${"cd".repeat(32)}`}, ${head} FROM batches WHERE id = ${batchId} RETURNING id`,
    );
    await mine(finalityDepth + 1);
    await index();
    const { rows } = await session.query<{ anchor_state: string; anchor_tx: string | null }>(
      sql`SELECT anchor_state, anchor_tx FROM batches WHERE id = ${other.rows[0]!.id}`,
    );
    expect(rows[0]).to.deep.equal({ anchor_state: "pending", anchor_tx: null });
    expect((await batchState()).anchor_state, "the anchored batch stays confirmed").to.equal("confirmed");
  });

  it("indexes an issuance of a batch id above PostgreSQL's bigint (not one of ours) without touching any entitlement", async () => {
    // The chain's batch ids are uint64; the platform's are bigint. chain_tokens.key_batch_id is
    // NULL above bigint, so the join to keys matches nothing instead of failing the range.
    const before = await session.query(sql`SELECT id, issue_state, token_id::text, issue_block FROM entitlements ORDER BY id`);
    await emitters.send(emitters.entitlement, "issue", [2n ** 64n - 1n, 900n, emitters.account, [0]]);
    await mine(finalityDepth);
    await index();
    const { rows } = await session.query<{ batch_id: string; key_batch_id: string | null }>(
      sql`SELECT batch_id::text, key_batch_id FROM chain_tokens WHERE chain_id = ${chainId} AND token_id = 900`,
    );
    expect(rows).to.deep.equal([{ batch_id: String(2n ** 64n - 1n), key_batch_id: null }]);
    expect((await session.query(sql`SELECT id, issue_state, token_id::text, issue_block FROM entitlements ORDER BY id`)).rows).to.deep.equal(before.rows);
  });

  it("records a revocation as revoked although ERC-5192 makes it emit Locked in the same transaction", async () => {
    // The real contract's revoke emits Locked then EntitlementsRevoked in one transaction: both
    // land in one block here too (automine off), and the token must end revoked, not redeemed.
    await rpc("evm_setAutomine", [false]);
    try {
      const write = (functionName: string, args: unknown[]) =>
        emitters.wallet.writeContract({
          address: emitters.entitlement,
          abi: emitters.abi,
          functionName,
          args,
          account: emitters.wallet.account!,
          chain: null,
        } as never);
      await write("lock", [5n]);
      await write("revoke", [[5n]]);
      await mine(1);
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
    await mine(finalityDepth);
    await index();
    const { rows } = await session.query<{ state: string; redeem_state: string | null }>(sql`SELECT state, redeem_state FROM entitlements WHERE token_id = 5`);
    expect(rows[0]).to.deep.equal({ state: "revoked", redeem_state: null });
  });
});
