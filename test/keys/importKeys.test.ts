import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { toHex } from "viem";
import { AppError } from "../../core/errors.ts";
import { decryptSecret, keyAad } from "../../api/keys/envelope.ts";
import { createImport, runImport } from "../../api/keys/importKeys.ts";
import { buildBatchTree, commitmentOf, leafEncoding, leafHash, leafTuple, type LeafValues } from "../../core/keys/leaf.ts";
import { loadShopDataKey } from "../../api/keys/shopDataKey.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";
import { createTestShop, makeSecrets, testChain, testRing, type TestShop } from "./fixtures.ts";
import { findPlaintext } from "./plaintextScan.ts";

type KeyRow = {
  id: bigint;
  leaf_index: number;
  ciphertext: Uint8Array;
  salt: Uint8Array;
  commitment: Uint8Array;
  leaf_hash: Uint8Array;
  /** The key row's own proof column: NULL since migration 0220 (the batch's tree holds it). */
  own_proof: Uint8Array[] | null;
  /** key_proof(): the key's proof read from its batch's stored tree. */
  proof: Uint8Array[];
  status: string;
};

async function expectRejected(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected a rejection");
}

describe("keys: import job (PostgreSQL server)", () => {
  let database: TestDatabase;
  const ring = testRing();

  before(async () => {
    database = await createServerDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  async function counts(shopId: bigint) {
    const row = await queryOne<{ imports: bigint; uploads: bigint; keys: bigint; batches: bigint }>(
      database.db,
      sql`SELECT (SELECT count(*) FROM imports WHERE shop_id = ${shopId}) AS imports,
                 (SELECT count(*) FROM import_uploads WHERE shop_id = ${shopId}) AS uploads,
                 (SELECT count(*) FROM keys WHERE shop_id = ${shopId}) AS keys,
                 (SELECT count(*) FROM batches WHERE shop_id = ${shopId}) AS batches`,
    );
    return { imports: Number(row!.imports), uploads: Number(row!.uploads), keys: Number(row!.keys), batches: Number(row!.batches) };
  }

  async function batchKeys(batchId: bigint): Promise<KeyRow[]> {
    return queryRows<KeyRow>(
      database.db,
      sql`SELECT id, leaf_index, ciphertext, salt, commitment, leaf_hash, proof AS own_proof, key_proof(batch_id, leaf_index) AS proof, status
          FROM keys WHERE batch_id = ${batchId} ORDER BY leaf_index`,
    );
  }

  async function expectBatchConsistent(shop: TestShop, batchId: bigint, secrets: string[]): Promise<void> {
    const batch = await queryOne<{
      root: Uint8Array;
      key_count: number;
      anchor_state: string;
      keys_released_at: Date | null;
      chain_id: bigint;
      registry_address: string;
    }>(database.db, sql`SELECT root, key_count, anchor_state, keys_released_at, chain_id, registry_address FROM batches WHERE id = ${batchId}`);
    expect(batch!.key_count).to.equal(secrets.length);
    expect(batch!.anchor_state).to.equal("pending");
    // Not for sale until the anchor releases the batch (migration 1570).
    expect(batch!.keys_released_at).to.equal(null);
    const rows = await batchKeys(batchId);
    expect(rows.map((row) => row.leaf_index)).to.deep.equal(secrets.map((_, index) => index));
    const dataKey = await loadShopDataKey(database.db, ring, shop.shopId);
    const values: LeafValues[] = rows.map((row, index) => {
      // The ciphertext decrypts to the imported secret only at its own position.
      expect(decryptSecret(dataKey, row.ciphertext, keyAad({ shopId: shop.shopId, batchId, leafIndex: index }))).to.equal(secrets[index]);
      expect(toHex(row.commitment)).to.equal(commitmentOf(row.salt, secrets[index]!));
      expect(row.status).to.equal("available");
      return { chainId: testChain.chainId, registry: testChain.registry, shopId: shop.shopId, batchId, leafIndex: index, commitment: toHex(row.commitment) };
    });
    // The reference: @openzeppelin/merkle-tree over the same leaves gives the same root; every
    // proof read from the stored tree is the library's proof of that leaf and verifies against
    // the stored root with the library; no key row carries a proof of its own.
    const reference = buildBatchTree(values);
    expect(reference.root).to.equal(toHex(batch!.root));
    rows.forEach((row, index) => {
      expect(toHex(row.leaf_hash)).to.equal(leafHash(values[index]!));
      expect(row.own_proof).to.equal(null);
      const proof = row.proof.map((node) => toHex(node));
      expect(proof).to.deep.equal(reference.getProof(index));
      expect(StandardMerkleTree.verify(toHex(batch!.root), [...leafEncoding], leafTuple(values[index]!), proof)).to.equal(true);
    });
  }

  it("imports known secrets: encrypted, committed, proven, and no table holds any of them in plaintext", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(1200);
    const { importId, total } = await createImport(database.db, ring, {
      ...shop,
      format: "text",
      content: `${secrets.join("\r\n")}\r\n`,
    });
    expect(total).to.equal(1200);
    // Before the job runs, the upload waits encrypted.
    const waiting = await findPlaintext(database.db, secrets);
    expect(waiting.found).to.deep.equal([]);
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 1, uploads: 1, keys: 0, batches: 0 });

    const progress: number[] = [];
    const result = await runImport(database.db, ring, testChain, importId, (processed) => void progress.push(processed));
    expect(result.keyCount).to.equal(1200);
    expect(progress).to.deep.equal([1000, 1200]);
    await expectBatchConsistent(shop, result.batchId, secrets);
    const imported = await queryOne<{ status: string; processed: number; total: number; batch_id: bigint }>(
      database.db,
      sql`SELECT status, processed, total, batch_id FROM imports WHERE id = ${importId}`,
    );
    expect(imported).to.deep.include({ status: "done", processed: 1200, total: 1200 });
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 1, uploads: 0, keys: 1200, batches: 1 });

    const scan = await findPlaintext(database.db, secrets);
    expect(scan.tables).to.include.members(["keys", "imports", "import_uploads", "batches", "audit_log", "shops"]);
    expect(scan.rows).to.be.greaterThan(1200);
    expect(scan.found).to.deep.equal([]);
    // The scan does find a secret that is there, so its silence means something.
    await database.db.execute(sql`INSERT INTO audit_log (action, details) VALUES ('probe', ${JSON.stringify({ x: secrets[7] })}::jsonb)`);
    expect((await findPlaintext(database.db, secrets)).found).to.deep.equal(["audit_log: secret 7"]);
    await database.db.execute(sql`DELETE FROM audit_log WHERE action = 'probe'`);
  });

  it("is idempotent: a second run of a finished import changes nothing", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(50);
    const { importId } = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    const first = await runImport(database.db, ring, testChain, importId);
    const before = await batchKeys(first.batchId);
    const second = await runImport(database.db, ring, testChain, importId);
    expect(second).to.deep.equal(first);
    expect(await batchKeys(first.batchId)).to.deep.equal(before);
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 1, uploads: 0, keys: 50, batches: 1 });
  });

  it("detects ciphertexts swapped between rows, batches or shops in the database", async () => {
    const shop = await createTestShop(database.db, ring);
    const other = await createTestShop(database.db, ring);
    const secrets = makeSecrets(4);
    const first = await runImport(
      database.db,
      ring,
      testChain,
      (await createImport(database.db, ring, { ...shop, format: "text", content: secrets.slice(0, 2).join("\n") })).importId,
    );
    const second = await runImport(
      database.db,
      ring,
      testChain,
      (await createImport(database.db, ring, { ...shop, format: "text", content: secrets.slice(2).join("\n") })).importId,
    );
    // Swap two rows' ciphertexts inside one batch, and copy one across batches, as an attacker
    // with write access to the table might, to deliver a different key for a sold position.
    await database.db.execute(sql`UPDATE keys k SET ciphertext = o.ciphertext FROM keys o
                                  WHERE k.batch_id = ${first.batchId} AND o.batch_id = ${first.batchId} AND k.leaf_index <> o.leaf_index`);
    await database.db.execute(sql`UPDATE keys k SET ciphertext = o.ciphertext FROM keys o
                                  WHERE k.batch_id = ${second.batchId} AND k.leaf_index = 0 AND o.batch_id = ${first.batchId} AND o.leaf_index = 0`);
    const dataKey = await loadShopDataKey(database.db, ring, shop.shopId);
    const otherKey = await loadShopDataKey(database.db, ring, other.shopId);
    for (const [batchId, leafIndex] of [
      [first.batchId, 0],
      [first.batchId, 1],
      [second.batchId, 0],
    ] as const) {
      const row = await queryOne<{ ciphertext: Uint8Array }>(
        database.db,
        sql`SELECT ciphertext FROM keys WHERE batch_id = ${batchId} AND leaf_index = ${leafIndex}`,
      );
      const aad = keyAad({ shopId: shop.shopId, batchId, leafIndex });
      expect(() => decryptSecret(dataKey, row!.ciphertext, aad)).to.throw(AppError, /failed authentication/);
      // Nor does another shop's data key open it.
      expect(() => decryptSecret(otherKey, row!.ciphertext, aad)).to.throw(AppError, /failed authentication/);
    }
    const untouched = await queryOne<{ ciphertext: Uint8Array }>(
      database.db,
      sql`SELECT ciphertext FROM keys WHERE batch_id = ${second.batchId} AND leaf_index = 1`,
    );
    expect(decryptSecret(dataKey, untouched!.ciphertext, keyAad({ shopId: shop.shopId, batchId: second.batchId, leafIndex: 1 }))).to.equal(secrets[3]);
  });

  it("restarts a run that crashed part-way, leaving one clean batch", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(2100);
    const { importId } = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    const crash = new Error("worker killed");
    let crashed: unknown;
    try {
      await runImport(database.db, ring, testChain, importId, (processed) => {
        if (processed === 2000) throw crash;
      });
    } catch (error) {
      crashed = error;
    }
    expect(crashed).to.equal(crash);
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 1, uploads: 1, keys: 2000, batches: 1 });
    const result = await runImport(database.db, ring, testChain, importId);
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 1, uploads: 0, keys: 2100, batches: 1 });
    await expectBatchConsistent(shop, result.batchId, secrets);
  });

  it("stops a run superseded by a newer run of the same import", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(1200);
    const { importId } = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    let newer: { batchId: bigint; keyCount: number } | undefined;
    const stale = await expectRejected(
      runImport(database.db, ring, testChain, importId, async (processed) => {
        // A stalled job handed to a second worker while the first still runs.
        if (processed === 1000) newer = await runImport(database.db, ring, testChain, importId);
      }),
    );
    expect(stale.code).to.equal("conflict");
    expect(newer?.keyCount).to.equal(1200);
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 1, uploads: 0, keys: 1200, batches: 1 });
    await expectBatchConsistent(shop, newer!.batchId, secrets);
  });

  it("rejects keys already in the shop at upload, with line numbers, writing nothing", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(20);
    const { importId } = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    await runImport(database.db, ring, testChain, importId);
    const before = await counts(shop.shopId);
    const auditBefore = await queryOne<{ n: bigint }>(database.db, sql`SELECT count(*) AS n FROM audit_log`);
    const error = await expectRejected(
      createImport(database.db, ring, { ...shop, format: "csv", content: `code\nNEW-1\n${secrets[3]}\nNEW-2\n${secrets[9]}\n` }),
    );
    expect(error.code).to.equal("duplicate_keys");
    expect(error.status).to.equal(422);
    expect(error.details).to.deep.equal({
      lines: [3, 5],
      total: 2,
      reasons: { already_in_shop: 2 },
      problems: [
        { line: 3, reasons: ["already_in_shop"] },
        { line: 5, reasons: ["already_in_shop"] },
      ],
    });
    expect(error.message + JSON.stringify(error.details)).not.to.include(secrets[3]!);
    expect(await counts(shop.shopId)).to.deep.equal(before);
    expect(await queryOne(database.db, sql`SELECT count(*) AS n FROM audit_log`)).to.deep.equal(auditBefore);
    // Another shop may hold the same keys: the dedupe hash is keyed per shop.
    const other = await createTestShop(database.db, ring);
    const { importId: otherImport } = await createImport(database.db, ring, { ...other, format: "text", content: secrets.join("\n") });
    expect((await runImport(database.db, ring, testChain, otherImport)).keyCount).to.equal(20);
  });

  it("fails a queued import whose keys reached the shop meanwhile, removing its batch and upload", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(30);
    const first = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.slice(0, 20).join("\n") });
    const second = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.slice(15).join("\n") });
    await runImport(database.db, ring, testChain, first.importId);
    const error = await expectRejected(runImport(database.db, ring, testChain, second.importId));
    expect(error.code).to.equal("duplicate_keys");
    expect(error.details).to.deep.include({ lines: [1, 2, 3, 4, 5], total: 5, reasons: { already_in_shop: 5 } });
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 2, uploads: 0, keys: 20, batches: 1 });
    const failed = await queryOne<{ status: string; batch_id: bigint | null; error: { code: string } }>(
      database.db,
      sql`SELECT status, batch_id, error FROM imports WHERE id = ${second.importId}`,
    );
    expect(failed).to.deep.include({ status: "failed", batch_id: null });
    expect(failed!.error.code).to.equal("duplicate_keys");
    // Redelivered: the same answer, nothing written.
    const again = await expectRejected(runImport(database.db, ring, testChain, second.importId));
    expect(again.code).to.equal("duplicate_keys");
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 2, uploads: 0, keys: 20, batches: 1 });
  });

  it("fails an import whose keys another import inserted while it ran (the unique index decides)", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(1500);
    const slow = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    const fast = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.slice(1200, 1210).join("\n") });
    const error = await expectRejected(
      runImport(database.db, ring, testChain, slow.importId, async (processed) => {
        // The slow import has passed its duplicate check and inserted its first chunk; the
        // other import now commits keys the slow one will insert next.
        if (processed === 1000) await runImport(database.db, ring, testChain, fast.importId);
      }),
    );
    expect(error.code).to.equal("duplicate_keys");
    expect(error.details).to.deep.include({ lines: Array.from({ length: 10 }, (_, index) => 1201 + index), total: 10, reasons: { already_in_shop: 10 } });
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 2, uploads: 0, keys: 10, batches: 1 });
  });

  it("answers an upload's unusable lines, repeated keys and keys already in the shop in one error", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(5);
    const { importId } = await createImport(database.db, ring, { ...shop, format: "text", content: secrets.join("\n") });
    await runImport(database.db, ring, testChain, importId);
    const before = await counts(shop.shopId);
    // Line 2 is empty, line 4 repeats line 1, line 5 is a key the shop holds, line 6 is too long.
    const content = ["NEW-1", "", "NEW-2", "NEW-1", secrets[2], "X".repeat(300), "NEW-3"].join("\n");
    const error = await expectRejected(createImport(database.db, ring, { ...shop, format: "text", content, limits: { keysMax: 100, keyLengthMax: 256 } }));
    expect(error.code).to.equal("invalid_keys");
    expect(error.details).to.deep.equal({
      lines: [2, 4, 5, 6],
      total: 4,
      reasons: { empty: 1, duplicate_in_upload: 1, too_long: 1, already_in_shop: 1 },
      problems: [
        { line: 2, reasons: ["empty"] },
        { line: 4, reasons: ["duplicate_in_upload"], firstLine: 1 },
        { line: 5, reasons: ["already_in_shop"] },
        { line: 6, reasons: ["too_long"] },
      ],
    });
    expect(error.message + JSON.stringify(error.details)).not.to.include(secrets[2]!);
    expect(await counts(shop.shopId)).to.deep.equal(before);
  });

  it("rejects a bad upload before writing anything", async () => {
    const shop = await createTestShop(database.db, ring);
    const error = await expectRejected(createImport(database.db, ring, { ...shop, format: "text", content: "A-1\n\nA-2\n" }));
    expect(error.code).to.equal("invalid_keys");
    expect(error.details).to.deep.include({ lines: [2], total: 1 });
    const duplicate = await expectRejected(createImport(database.db, ring, { ...shop, format: "text", content: "A-1\nA-1\n" }));
    expect(duplicate.code).to.equal("duplicate_keys");
    const wrongProduct = await expectRejected(
      createImport(database.db, ring, { ...shop, productId: shop.productId + 1000n, format: "text", content: "A-1\n" }),
    );
    expect(wrongProduct.code).to.equal("not_found");
    expect(await counts(shop.shopId)).to.deep.equal({ imports: 0, uploads: 0, keys: 0, batches: 0 });
  });
});

describe("keys: import job (embedded PGlite)", () => {
  let database: TestDatabase;
  const ring = testRing();

  before(async () => {
    database = await createPgliteDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it("imports, proves and decrypts the same way on PGlite, and rejects shop duplicates", async () => {
    const shop = await createTestShop(database.db, ring);
    const secrets = makeSecrets(1100);
    const { importId } = await createImport(database.db, ring, { ...shop, format: "csv", content: `key\n${secrets.join("\n")}\n` });
    const { batchId, keyCount } = await runImport(database.db, ring, testChain, importId);
    expect(keyCount).to.equal(1100);
    expect(await runImport(database.db, ring, testChain, importId)).to.deep.equal({ batchId, keyCount });
    const rows = await queryRows<KeyRow>(
      database.db,
      sql`SELECT id, leaf_index, ciphertext, salt, commitment, leaf_hash, proof AS own_proof, key_proof(batch_id, leaf_index) AS proof, status
          FROM keys WHERE batch_id = ${batchId} ORDER BY leaf_index`,
    );
    const batch = await queryOne<{ root: Uint8Array }>(database.db, sql`SELECT root FROM batches WHERE id = ${batchId}`);
    const dataKey = await loadShopDataKey(database.db, ring, shop.shopId);
    for (const row of rows) {
      const values: LeafValues = { ...testChain, shopId: shop.shopId, batchId, leafIndex: row.leaf_index, commitment: toHex(row.commitment) };
      expect(decryptSecret(dataKey, row.ciphertext, keyAad({ shopId: shop.shopId, batchId, leafIndex: row.leaf_index }))).to.equal(secrets[row.leaf_index]);
      expect(
        StandardMerkleTree.verify(
          toHex(batch!.root),
          [...leafEncoding],
          leafTuple(values),
          row.proof.map((node) => toHex(node)),
        ),
      ).to.equal(true);
    }
    expect((await findPlaintext(database.db, secrets)).found).to.deep.equal([]);
    const error = await expectRejected(createImport(database.db, ring, { ...shop, format: "text", content: `NEW\n${secrets[5]}\n` }));
    expect(error.details).to.deep.equal({ lines: [2], total: 1, reasons: { already_in_shop: 1 }, problems: [{ line: 2, reasons: ["already_in_shop"] }] });
  });
});
