import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { AppError } from "../../core/errors.ts";
import { decryptSecret, keyAad } from "../../api/keys/envelope.ts";
import { createMasterKeyRing, type MasterKeyRing } from "../../api/keys/masterKeys.ts";
import { rotateMasterKey } from "../../api/keys/rotateMasterKey.ts";
import { checkTotpCode, enrolKnownTotpSecret } from "../../api/services/accounts/totp.ts";
import { loadShopDataKey } from "../../api/keys/shopDataKey.ts";
import { queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { totpCode, totpStep } from "../support/totp.ts";
import { createShopsWithKeys, type TestShop } from "./fixtures.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

describe("keys: master key rotation", () => {
  let database: TestDatabase;
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const oldRing = createMasterKeyRing({ id: "k1", key: oldKey });
  let shops: { shop: TestShop; secrets: string[]; batchId: bigint }[] = [];
  const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

  before(async () => {
    database = await createServerDatabase();
    shops = await createShopsWithKeys(database.db, oldRing, 3, 25);
    await enrolKnownTotpSecret(database.db, oldRing, shops[0]!.shop.accountId, totpSecret);
  });
  after(async () => {
    await database?.drop();
  });

  async function expectAllDecryptable(ring: MasterKeyRing): Promise<void> {
    for (const { shop, secrets, batchId } of shops) {
      const dataKey = await loadShopDataKey(database.db, ring, shop.shopId);
      const rows = await queryRows<{ leaf_index: number; ciphertext: Uint8Array }>(
        database.db,
        sql`SELECT leaf_index, ciphertext FROM keys WHERE batch_id = ${batchId} ORDER BY leaf_index`,
      );
      expect(rows.map((row) => decryptSecret(dataKey, row.ciphertext, keyAad({ shopId: shop.shopId, batchId, leafIndex: row.leaf_index })))).to.deep.equal(
        secrets,
      );
    }
  }

  async function wrappedState() {
    return queryRows<{ id: bigint; master_key_id: string; data_key_wrapped: Uint8Array }>(
      database.db,
      sql`SELECT id, master_key_id, data_key_wrapped FROM shops ORDER BY id`,
    );
  }

  it("refuses clearly, changing nothing, when an old master key is missing or wrong", async () => {
    const before = await wrappedState();
    const missing = createMasterKeyRing({ id: "k2", key: newKey });
    let caught: AppError | undefined;
    try {
      await rotateMasterKey(database.db, missing);
    } catch (error) {
      caught = error as AppError;
    }
    expect(caught?.code).to.equal("invalid_state");
    expect(caught?.message).to.match(/'k1', which are not configured: add them to PREVIOUS_MASTER_KEYS/);
    const wrong = createMasterKeyRing({ id: "k2", key: newKey }, [{ id: "k1", key: randomBytes(32) }]);
    caught = undefined;
    try {
      await rotateMasterKey(database.db, wrong);
    } catch (error) {
      caught = error as AppError;
    }
    expect(caught?.details).to.deep.equal({ reason: "authentication_failed" });
    expect(caught?.message).to.match(/wrapped under master key 'k1' failed authentication/);
    expect(await wrappedState()).to.deep.equal(before);
  });

  it("re-wraps every shop's data key, keeps every key decryptable, and is idempotent", async () => {
    const ring = createMasterKeyRing({ id: "k2", key: newKey }, [{ id: "k1", key: oldKey }]);
    const dry = await rotateMasterKey(database.db, ring, { dryRun: true });
    const byTable = (shopsMoved: number, totpMoved: number) => ({
      shops: { rewrapped: shopsMoved, alreadyCurrent: 3 - shopsMoved },
      account_totp: { rewrapped: totpMoved, alreadyCurrent: 1 - totpMoved },
      account_data_keys: { rewrapped: 0, alreadyCurrent: 0 },
      order_data_keys: { rewrapped: 0, alreadyCurrent: 0 },
    });
    expect(dry).to.deep.equal({ masterKeyId: "k2", rewrapped: 4, alreadyCurrent: 0, byTable: byTable(3, 1), fromMasterKeyIds: { k1: 4 }, dryRun: true });
    expect((await wrappedState()).map((row) => row.master_key_id)).to.deep.equal(["k1", "k1", "k1"]);

    const first = await rotateMasterKey(database.db, ring, { accountId: shops[0]!.shop.accountId });
    expect(first).to.deep.equal({ masterKeyId: "k2", rewrapped: 4, alreadyCurrent: 0, byTable: byTable(3, 1), fromMasterKeyIds: { k1: 4 }, dryRun: false });
    const after = await wrappedState();
    expect(after.map((row) => row.master_key_id)).to.deep.equal(["k2", "k2", "k2"]);
    // Readable with the new master key alone: the old one can now be retired.
    await expectAllDecryptable(createMasterKeyRing({ id: "k2", key: newKey }));
    // A staff member's TOTP secret too: its code (computed by the test's own RFC 6238) still checks.
    const step = totpStep();
    const totpCheck = await database.db.transaction((tx) =>
      checkTotpCode(tx, createMasterKeyRing({ id: "k2", key: newKey }), shops[0]!.shop.accountId, totpCode(totpSecret, step), true, step * 30_000 + 1_000),
    );
    expect(totpCheck).to.equal("accepted");

    const second = await rotateMasterKey(database.db, ring);
    expect(second).to.deep.include({ rewrapped: 0, alreadyCurrent: 4, byTable: byTable(0, 0) });
    expect(await wrappedState()).to.deep.equal(after);
    const audit = await queryRows<{ action: string; details: Record<string, unknown> }>(
      database.db,
      sql`SELECT action, details FROM audit_log WHERE action = 'keys.rotate_master_key' ORDER BY id`,
    );
    expect(audit.map((row) => row.details)).to.deep.equal([
      { to: "k2", rewrapped: 4, alreadyCurrent: 0, byTable: byTable(3, 1), from: { k1: 4 } },
      { to: "k2", rewrapped: 0, alreadyCurrent: 4, byTable: byTable(0, 0), from: {} },
    ]);
  });

  it("runs as `keyledger keys rotate-master-key` from the configuration, printing no key material", async () => {
    const newestKey = randomBytes(32).toString("hex");
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      MASTER_KEY: newestKey,
      MASTER_KEY_ID: "k3",
      PREVIOUS_MASTER_KEYS: `k2:${newKey.toString("hex")},k1:${oldKey.toString("hex")}`,
    };
    const { stdout, stderr } = await run(`${root}node_modules/.bin/node`, ["scripts/cli/keyledger.ts", "keys", "rotate-master-key"], { cwd: root, env });
    expect(stdout).to.equal("Re-wrapped 4 data key(s) (3 of shops, 1 of TOTP secrets) under master key 'k3' (4 from 'k2'); 0 already under it.\n");
    for (const secret of [newestKey, newKey.toString("hex"), oldKey.toString("hex")]) expect(stdout + stderr).not.to.include(secret);
    await expectAllDecryptable(createMasterKeyRing({ id: "k3", key: Buffer.from(newestKey, "hex") }));
    let failure: { code?: number; stderr?: string } | undefined;
    try {
      await run(`${root}node_modules/.bin/node`, ["scripts/cli/keyledger.ts", "keys", "rotate-master-key"], {
        cwd: root,
        env: { ...env, MASTER_KEY: undefined },
      });
    } catch (error) {
      failure = error as { code?: number; stderr?: string };
    }
    expect(failure?.code).to.equal(1);
    expect(failure?.stderr).to.match(/MASTER_KEY is not set/);
  });
});
