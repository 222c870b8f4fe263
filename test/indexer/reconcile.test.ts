// Platform consequences and reconciliation on a real chain: an anchored batch and issued
// entitlements become 'confirmed' once final, with their token ids; reconciliation of the
// untouched database finds nothing; a sold key's row or a batch root changed directly in the
// database is reported. On both stores: the PostgreSQL server and embedded PGlite (npm start's
// default), whose drivers once returned byte strings of different types.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { toHex, type Hex } from "viem";
import { startChain, type TestChain } from "../support/chain.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";
import { checkIssuedKeys } from "../../indexer/reconcile/checkIssuedKeys.ts";
import { reconcile, type Finding } from "../../indexer/reconcile/reconcile.ts";
import { openSession, type SqlSession } from "../../indexer/store/session.ts";
import { sql } from "../../indexer/store/sql.ts";
import { deployEmitters, type EmitterSet } from "./support/emitter.ts";
import { buildPlatformFixture } from "./support/platformFixture.ts";

for (const store of ["server", "pglite"] as const)
  describe(`indexer: platform consequences and reconciliation on ${store === "server" ? "the PostgreSQL server" : "PGlite"}`, function () {
    this.timeout(60_000);
    let chain: TestChain;
    let database: TestDatabase;
    let emitters: EmitterSet;
    let session: SqlSession;
    let chainId: number;
    const keyIds: bigint[] = [];
    let batchId: bigint;

    before(async () => {
      [chain, database] = await Promise.all([startChain(), store === "server" ? createServerDatabase({ poolSizeMax: 3 }) : createPgliteDatabase()]);
      emitters = await deployEmitters(chain.rpcUrl);
      chainId = await emitters.publicClient.getChainId();
      session = await openSession(database);
      const fixture = await buildPlatformFixture(database, emitters, chain.rpcUrl, chainId);
      keyIds.push(...fixture.keyIds);
      batchId = fixture.batchId;
    });
    after(async () => {
      await session?.close();
      await database?.drop();
      await chain?.stop();
    });

    it("confirms the final anchor and issuance, with token ids mapped through leafIndexes, and the redemption", async () => {
      const batch = (await session.query<{ anchor_state: string; anchor_tx: string }>(sql`SELECT anchor_state, anchor_tx FROM batches WHERE id = ${batchId}`))
        .rows[0]!;
      expect(batch.anchor_state).to.equal("confirmed");
      expect(batch.anchor_tx).to.match(/^0x[0-9a-f]{64}$/);
      const { rows } = await session.query<{
        key_id: bigint;
        token_id: string;
        issue_state: string;
        state: string;
        redeem_state: string | null;
        owner_wallet: string | null;
      }>(sql`SELECT key_id, token_id::text, issue_state, state, redeem_state, owner_wallet FROM entitlements ORDER BY key_id`);
      expect(rows.map((row) => [row.key_id, row.token_id, row.issue_state, row.state, row.redeem_state, row.owner_wallet])).to.deep.equal([
        [keyIds[0], "8", "confirmed", "redeemed", "confirmed", null],
        [keyIds[1], "7", "confirmed", "sealed", null, null],
      ]);
    });

    it("finds nothing when the database matches the chain", async () => {
      const { findings } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
      expect(findings).to.deep.equal([]);
    });

    it("reports a batch whose recorded anchor transaction is not the canonical one as reorged", async () => {
      const { rows } = await session.query<{ anchor_tx: string }>(sql`SELECT anchor_tx FROM batches WHERE id = ${batchId}`);
      await session.query(sql`UPDATE batches SET anchor_tx = ${`0x${"ee".repeat(32)}`} WHERE id = ${batchId}`);
      const { findings } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
      expect(findings.map((finding) => [finding.kind, finding.subject, finding.subjectId])).to.deep.equal([["reorged", "batch", String(batchId)]]);
      await session.query(sql`UPDATE batches SET anchor_tx = ${rows[0]!.anchor_tx} WHERE id = ${batchId}`);
    });

    it("reports a sold key's row changed in the database", async () => {
      await session.query(sql`UPDATE keys SET commitment = ${randomBytes(32)} WHERE id = ${keyIds[1]}`);
      const { findings, runId } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
      expect(findings.map((finding) => [finding.kind, finding.subject, finding.subjectId])).to.deep.equal([["mismatch", "key", String(keyIds[1])]]);
      const stored = await session.query<{ kind: string }>(sql`SELECT kind FROM reconciliation_findings WHERE run_id = ${runId}`);
      expect(stored.rows.map((row) => row.kind)).to.deep.equal(["mismatch"]);
    });

    it("reports a batch root changed in the database (and every sold key of it)", async () => {
      const fakeRoot: Hex = toHex(randomBytes(32));
      await session.query(sql`UPDATE batches SET root = decode(${fakeRoot.slice(2)}, 'hex') WHERE id = ${batchId}`);
      const { findings } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
      const batchFinding = findings.find((finding) => finding.subject === "batch");
      expect(batchFinding?.kind).to.equal("mismatch");
      expect((batchFinding!.details.root as { database: string }).database).to.equal(fakeRoot);
    });

    it("names the sold key whose stored leaf changed, by each key's own proof once the batch no longer rebuilds its anchored root", async () => {
      const keyFindings = async (pageSize?: number) => {
        const found: Finding[] = [];
        const { rows } = await session.query<{ finalized_number: bigint }>(sql`SELECT finalized_number FROM indexer_checkpoints WHERE chain_id = ${chainId}`);
        const checked = await checkIssuedKeys(
          session,
          { chainId, registryAddress: emitters.registry, finalized: BigInt(rows[0]!.finalized_number) },
          (finding) => found.push(finding),
          pageSize,
        );
        return { checked, found: found.map((finding) => [finding.subjectId, finding.details]) };
      };
      // From the tests above: key 1's commitment was changed, so its leaf no longer matches its values.
      const before = await keyFindings();
      expect(before).to.deep.equal({ checked: 2, found: [[String(keyIds[1]), { tokenId: "7", leafMatchesValues: false, proofMatchesAnchoredRoot: true }]] });
      expect(await keyFindings(1), "the same through pages of one key").to.deep.equal(before);
      // An unsold key's leaf changed: the batch's tree no longer rebuilds the anchored root, each
      // sold key is checked with its own proof, and the findings are the same.
      await session.query(sql`UPDATE keys SET leaf_hash = ${randomBytes(32)} WHERE id = ${keyIds[2]}`);
      expect(await keyFindings()).to.deep.equal(before);
      // A sold key's leaf changed: named, its leaf matching neither its values nor the root.
      await session.query(sql`UPDATE keys SET leaf_hash = ${randomBytes(32)} WHERE id = ${keyIds[0]}`);
      expect(await keyFindings()).to.deep.equal({
        checked: 2,
        found: [
          [String(keyIds[0]), { tokenId: "8", leafMatchesValues: false, proofMatchesAnchoredRoot: false }],
          [String(keyIds[1]), { tokenId: "7", leafMatchesValues: false, proofMatchesAnchoredRoot: true }],
        ],
      });
    });

    it("reports redemptions and chain payments the chain does not show, holding only the findings", async () => {
      const { rows } = await session.query<{ id: bigint; token_id: string }>(sql`SELECT id, token_id::text FROM entitlements ORDER BY token_id`);
      const [sealed, redeemed] = [rows.find((row) => row.token_id === "7")!, rows.find((row) => row.token_id === "8")!];
      // Token 8 is locked on-chain but sealed here; token 7 was revealed an hour ago, never locked.
      // No writer can move redeemed back to sealed (the state-transition trigger refuses it), so
      // the database is tampered with behind the trigger's back, as a restore or a hand edit would.
      await session.transaction(async (tamper) => {
        await tamper.query(sql`ALTER TABLE entitlements DISABLE TRIGGER entitlements_state_transitions`);
        await tamper.query(sql`UPDATE entitlements SET state = 'sealed', redeem_state = NULL WHERE id = ${redeemed.id}`);
        await tamper.query(sql`ALTER TABLE entitlements ENABLE TRIGGER entitlements_state_transitions`);
      });
      await session.query(
        sql`UPDATE entitlements SET state = 'redeemed', redeem_state = 'confirmed', revealed_at = now() - interval '1 hour' WHERE id = ${sealed.id}`,
      );
      const payment = await session.query<{ id: bigint }>(
        sql`INSERT INTO payments (order_id, provider, provider_ref, amount_minor, currency) VALUES ('ord_a', 'chain', ${`${chainId}:0x${"ab".repeat(32)}:0`}, 2000, 'CNY') RETURNING id`,
      );
      const { findings, runId } = await reconcile(session, { chainId, registryAddress: emitters.registry, redemptionGraceSeconds: 600 });
      const about = (subject: string) =>
        findings
          .filter((finding) => finding.subject === subject)
          .map((finding) => [finding.kind, finding.subjectId, finding.details])
          .sort((a, b) => Number(a[1]) - Number(b[1]));
      expect(about("redemption")).to.deep.equal(
        [
          ["missing_on_chain", String(sealed.id), { tokenId: "7" }],
          ["mismatch", String(redeemed.id), { tokenId: "8", database: "sealed", chain: "locked" }],
        ].sort((a, b) => Number(a[1]) - Number(b[1])),
      );
      expect(about("payment")).to.deep.equal([["missing_on_chain", String(payment.rows[0]!.id), { providerRef: `${chainId}:0x${"ab".repeat(32)}:0` }]]);
      const run = await session.query<{ checked: { fullPass: Record<string, number> }; started_at: Date; finished_at: Date; duration_ms: number }>(
        sql`SELECT checked, started_at, finished_at, duration_ms FROM reconciliation_runs WHERE id = ${runId}`,
      );
      // The history is small, so this run's slice of the full pass is all of it: one of each record.
      expect(run.rows[0]!.checked.fullPass).to.deep.equal({
        batches: 1,
        anchors: 1,
        issuances: 2,
        redemptions: 2,
        tokens: 1,
        locks: 0,
        payments: 1,
        chainPayments: 0,
      });
      // The run's row is written when it starts and completed when it ends.
      const { started_at: startedAt, finished_at: finishedAt, duration_ms: durationMs } = run.rows[0]!;
      expect(new Date(finishedAt).getTime()).to.be.greaterThan(new Date(startedAt).getTime());
      expect(durationMs).to.be.a("number").and.to.be.at.least(0);
    });
  });
