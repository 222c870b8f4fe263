// A person's data rights against the real PostgreSQL server (docs/compliance.md, "Data rights"):
// the export holds their data; erasure is refused (nothing written) while a legal hold or a
// dispute is open; afterwards no text column of any table holds their email, name or document
// contents, the key delivered to them and their shop's KYC details no longer decrypt, and the
// journal still balances and its hash chain still verifies.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { enforceRetention, erasePerson, exportPersonalData, placeLegalHold, releaseLegalHold } from "../../api/services/compliance/dataRights.ts";
import { createShopDataKey, decryptSecret, encryptSecret, keyAad, unwrapDataKey } from "../../api/keys/envelope.ts";
import { createMasterKeyRing } from "../../api/keys/masterKeys.ts";
import { loadShopDataKey } from "../../api/keys/shopDataKey.ts";
import { loadAccountDataKey, sealOrderKeysForBuyer } from "../../api/keys/buyerSeal.ts";
import { readEntitlementCode } from "../../api/services/resale/readEntitlementCode.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { craftSale, day } from "./ledgerHistory.ts";
import { expectLedgerAuditsClean, refusal, scanForPersonalData } from "./personalDataScan.ts";

const ring = createMasterKeyRing({ id: "test-master", key: randomBytes(32) });

describe("data rights: export, erasure and retention (PostgreSQL)", function () {
  this.timeout(240_000);
  let database: TestDatabase;
  const suffix = randomBytes(3).toString("hex");
  const email = `wang.xiaoming.${suffix}@example.com`;
  const name = `Wang Xiaoming ${suffix}`;
  const legalName = `王小明${suffix}`;
  const documentText = `passport-scan-${suffix}`;
  const code = `GAME-CODE-${suffix}-XYZ`;
  let person: bigint;
  let shopId: bigint;
  let productId: bigint;
  let keyId: bigint;
  let submissionId: bigint;
  let admin: bigint;
  // Bought from another merchant's shop: re-sealed under the person's own data key at delivery.
  const boughtCode = `BOUGHT-CODE-${suffix}-Q`;
  const resoldCode = `RESOLD-CODE-${suffix}-R`;
  let otherShop: bigint;
  let otherShopKey: Buffer;
  let boughtKey: { keyId: bigint; entitlementId: bigint; batchId: bigint };
  let resoldKey: { keyId: bigint; entitlementId: bigint; batchId: bigint };
  let resaleBuyer: bigint;

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 4 });
    const db = database.db;
    const one = async (query: ReturnType<typeof sql>) => BigInt((await queryOne<{ id: string }>(db, query))!.id);
    admin = await one(
      sql`INSERT INTO accounts (email, password_hash, roles) VALUES (${`admin-${suffix}@example.com`}, 'x', ARRAY['admin']) RETURNING id::text`,
    );
    // The person is both a buyer and a merchant: a display name, sign-in history, a session.
    person = await one(
      sql`INSERT INTO accounts (email, password_hash, roles, display_name, email_confirmed_at)
          VALUES (${email}, 'scrypt$secret', ARRAY['buyer','merchant'], ${name}, now()) RETURNING id::text`,
    );
    await db.execute(
      sql`INSERT INTO login_history (account_id, client_address, user_agent, factor, succeeded) VALUES (${person}, '203.0.113.7', 'Firefox', 'password', true)`,
    );
    await db.execute(sql`INSERT INTO sessions (token_hash, account_id, expires_at) VALUES (${randomBytes(32)}, ${person}, now() + interval '1 day')`);
    // Their own shop, with a real data key, and a KYC submission whose details and document are sealed under it.
    const wrapped = createShopDataKey(ring);
    shopId = await one(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id, support_contact)
          VALUES (${person}, ${`wang-${suffix}`}, ${`${name}'s cards`}, ${wrapped.dataKeyWrapped}, ${wrapped.masterKeyId}, ${email}) RETURNING id::text`,
    );
    const dataKey = await loadShopDataKey(db, ring, shopId);
    submissionId = await one(
      sql`INSERT INTO kyc_submissions (shop_id, submitted_by, level_requested, details_encrypted) VALUES (${shopId}, ${person}, 'verified', '\\x00') RETURNING id::text`,
    );
    const details = encryptSecret(dataKey, JSON.stringify({ legalName }), `keyledger/kyc-details/v1|shop=${shopId}|submission=${submissionId}`);
    await db.execute(sql`UPDATE kyc_submissions SET details_encrypted = ${details} WHERE id = ${submissionId}`);
    await db.execute(
      sql`INSERT INTO kyc_documents (submission_id, kind, content_type, size_bytes, content_encrypted) VALUES (${submissionId}, 'identity', 'application/pdf', 10, ${Buffer.from(documentText)})`,
    );
    productId = await one(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${shopId}, 'Card', 'game_card', 1000, 'CNY') RETURNING id::text`,
    );
    // A sale to the person as a buyer (their account) and one under their email as a guest, both on the ledger.
    await craftSale(database, { shopId, productId }, 1_000n, new Date(Date.now() - day), { accountId: person });
    await craftSale(database, { shopId, productId }, 1_000n, new Date(Date.now() - day), { contact: email });
    const orderId = (await queryOne<{ id: string }>(db, sql`SELECT id FROM orders WHERE buyer_account_id = ${person} LIMIT 1`))!.id;
    // The key delivered to them, sealed under the shop's data key.
    const batchId = await one(sql`INSERT INTO batches (shop_id, product_id, key_count) VALUES (${shopId}, ${productId}, 1) RETURNING id::text`);
    const ciphertext = encryptSecret(dataKey, code, keyAad({ shopId, batchId, leafIndex: 0 }));
    keyId = await one(
      sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id, sold_at)
          VALUES (${shopId}, ${productId}, ${batchId}, 0, ${ciphertext}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, '{}', 'sold', ${orderId}, now())
          RETURNING id::text`,
    );
    await db.execute(
      sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id) VALUES (${keyId}, ${orderId}, ${shopId}, ${productId}, ${batchId}, ${person})`,
    );
    // Two keys bought from another merchant's shop in one order, delivered and re-sealed for the person;
    // one of them later resold to another account.
    const otherOwner = await one(sql`INSERT INTO accounts (email, password_hash) VALUES (${`other-${suffix}@example.com`}, 'x') RETURNING id::text`);
    resaleBuyer = await one(sql`INSERT INTO accounts (email, password_hash) VALUES (${`resale-${suffix}@example.com`}, 'x') RETURNING id::text`);
    const otherWrapped = createShopDataKey(ring);
    otherShop = await one(
      sql`INSERT INTO shops (owner_account_id, slug, name, data_key_wrapped, master_key_id)
          VALUES (${otherOwner}, ${`other-${suffix}`}, 'Other cards', ${otherWrapped.dataKeyWrapped}, ${otherWrapped.masterKeyId}) RETURNING id::text`,
    );
    otherShopKey = await loadShopDataKey(db, ring, otherShop);
    const otherProduct = await one(
      sql`INSERT INTO products (shop_id, name, category, price_minor, currency) VALUES (${otherShop}, 'Card', 'game_card', 1000, 'CNY') RETURNING id::text`,
    );
    await craftSale(database, { shopId: otherShop, productId: otherProduct }, 2_000n, new Date(Date.now() - day), { accountId: person });
    const boughtOrder = (await queryOne<{ id: string }>(db, sql`SELECT id FROM orders WHERE shop_id = ${otherShop} AND buyer_account_id = ${person}`))!.id;
    const otherBatch = await one(sql`INSERT INTO batches (shop_id, product_id, key_count) VALUES (${otherShop}, ${otherProduct}, 2) RETURNING id::text`);
    const deliver = async (leafIndex: number, secret: string) => {
      const keyId = await one(
        sql`INSERT INTO keys (shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash, proof, status, order_id, sold_at)
            VALUES (${otherShop}, ${otherProduct}, ${otherBatch}, ${leafIndex}, ${encryptSecret(otherShopKey, secret, keyAad({ shopId: otherShop, batchId: otherBatch, leafIndex }))},
                    ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, ${randomBytes(32)}, '{}', 'sold', ${boughtOrder}, now()) RETURNING id::text`,
      );
      const entitlementId = await one(
        sql`INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, state, revealed_at, redeem_state)
            VALUES (${keyId}, ${boughtOrder}, ${otherShop}, ${otherProduct}, ${otherBatch}, ${person}, 'redeemed', now(), 'confirmed') RETURNING id::text`,
      );
      return { keyId, entitlementId, batchId: otherBatch };
    };
    boughtKey = await deliver(0, boughtCode);
    resoldKey = await deliver(1, resoldCode);
    expect(await sealOrderKeysForBuyer(db, ring, boughtOrder)).to.equal(2);
    // Once: a redelivered fulfilment job re-seals nothing.
    expect(await sealOrderKeysForBuyer(db, ring, boughtOrder)).to.equal(0);
    await db.execute(sql`UPDATE entitlements SET owner_account_id = ${resaleBuyer} WHERE id = ${resoldKey.entitlementId}`);
    // A support ticket in their words.
    const ticketId = await one(
      sql`INSERT INTO support_tickets (order_id, shop_id, buyer_account_id, category, subject, first_reply_due_at)
          VALUES (${orderId}, ${shopId}, ${person}, 'other', ${`Help for ${name}`}, now() + interval '1 day') RETURNING id::text`,
    );
    await db.execute(
      sql`INSERT INTO support_ticket_messages (ticket_id, author, author_account_id, body) VALUES (${ticketId}, 'buyer', ${person}, ${`I am ${name}, mail ${email}`})`,
    );
  });
  after(async () => {
    await database?.drop();
  });

  it("exports what the platform holds about the person: account, orders (their own and guest), shop, KYC, tickets, sign-ins; no secrets", async () => {
    const started = Date.now();
    const exported = await exportPersonalData(database.db, person);
    const elapsedMs = Date.now() - started;
    expect(elapsedMs, "the export is answered at once (docs: within seconds)").to.be.below(5_000);
    expect(exported.records["accounts.id"]![0]).to.include({ email, display_name: name });
    expect(exported.records["accounts.id"]![0]).to.not.have.property("password_hash");
    // Their order at their own shop and the one from the other shop.
    expect(exported.records["orders.buyer_account_id"]).to.have.length(2);
    // Their data key's row, without the wrapped key.
    expect(exported.records["account_data_keys.account_id"]![0]).to.have.keys("account_id", "master_key_id", "created_at");
    expect(exported.guestOrders).to.have.length(1);
    expect(exported.records["shops.owner_account_id"]![0]).to.include({ support_contact: email });
    expect(exported.records["kyc_submissions.submitted_by"]).to.have.length(1);
    expect(exported.records["support_ticket_messages.author_account_id"]![0]!.body).to.contain(name);
    expect(exported.records["login_history.account_id"]![0]).to.include({ client_address: "203.0.113.7" });
    // The key from their own shop and the one they still hold from the other (the other was resold).
    expect(exported.records["entitlements.owner_account_id"]).to.have.length(2);
    const text = JSON.stringify(exported);
    expect(text).to.not.contain("scrypt$secret");
    expect(text).to.not.contain(code);
    expect(text).to.not.contain(boughtCode);
  });

  it("erasure is refused with the reason while a legal hold, then a dispute, is open; nothing is written", async () => {
    const hold = await database.db.transaction((tx) => placeLegalHold(tx, { accountId: person, reason: "court order 2026-117", actorId: admin }));
    const held = await refusal(erasePerson(database.db, ring, { accountId: person, actorId: person }));
    expect([held.code, held.details]).to.deep.equal(["erasure_refused", { reason: "legal_hold", id: hold.id }]);
    expect(held.message).to.contain("court order 2026-117");
    await database.db.transaction((tx) => releaseLegalHold(tx, { holdId: BigInt(hold.id), actorId: admin }));
    const orderId = (await queryOne<{ id: string }>(database.db, sql`SELECT id FROM orders WHERE buyer_account_id = ${person} LIMIT 1`))!.id;
    const dispute = await queryOne<{ id: string }>(
      database.db,
      sql`INSERT INTO disputes (order_id, shop_id, opened_by_account_id, category, statement, escalation_deadline)
          VALUES (${orderId}, ${shopId}, ${person}, 'key_invalid', 'does not work', now() + interval '7 days') RETURNING id::text`,
    );
    const disputed = await refusal(erasePerson(database.db, ring, { accountId: person, actorId: person }));
    expect([disputed.code, disputed.details]).to.deep.equal(["erasure_refused", { reason: "dispute_open", id: dispute!.id }]);
    expect(await scanForPersonalData(database, email)).to.include("accounts.email");
    expect((await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM data_erasures`))!.n).to.equal("0");
    await database.db.execute(sql`UPDATE disputes SET state = 'resolved', outcome = 'rejected', statement = 'closed' WHERE id = ${BigInt(dispute!.id)}`);
  });

  it("a delivered code is re-sealed under the buyer's own data key: the buyer still reads it, the shop's key no longer opens it", async () => {
    expect(await readEntitlementCode(database.db, ring, boughtKey.entitlementId)).to.equal(boughtCode);
    const row = await queryOne<{ ciphertext: Buffer; sealed_for_account_id: string }>(
      database.db,
      sql`SELECT ciphertext, sealed_for_account_id::text FROM keys WHERE id = ${boughtKey.keyId}`,
    );
    expect(row!.sealed_for_account_id).to.equal(person.toString());
    const position = { shopId: otherShop, batchId: boughtKey.batchId, leafIndex: 0 };
    // No copy under the shop's key is left: the one stored is the buyer's.
    expect(() => decryptSecret(otherShopKey, row!.ciphertext, keyAad(position))).to.throw();
    const buyerKey = await loadAccountDataKey(database.db, ring, person);
    expect(decryptSecret(buyerKey, row!.ciphertext, `${keyAad(position)}|holder=${person}`)).to.equal(boughtCode);
    // Bound to the buyer: the same ciphertext under another holder's name does not open.
    expect(() => decryptSecret(buyerKey, row!.ciphertext, `${keyAad(position)}|holder=${resaleBuyer}`)).to.throw();
  });

  it("after erasure no table holds the email, the name, the legal name or the document; the keys no longer decrypt; the ledger still balances and chains", async () => {
    const dataKeyBefore = await loadShopDataKey(database.db, ring, shopId);
    const keyRow = await queryOne<{ batch_id: string }>(database.db, sql`SELECT batch_id::text FROM keys WHERE id = ${keyId}`);
    const buyerKeyRow = await queryOne<{ data_key_wrapped: Buffer; master_key_id: string }>(
      database.db,
      sql`SELECT data_key_wrapped, master_key_id FROM account_data_keys WHERE account_id = ${person}`,
    );
    const result = await erasePerson(database.db, ring, { accountId: person, actorId: person });
    expect(result.summary).to.include({
      deliveredKeysShredded: 1,
      deliveredKeysCryptoShredded: 1,
      transferredKeysResealed: 1,
      shopKeysDestroyed: 1,
      kycSubmissions: 1,
      kycDocuments: 1,
      guestOrdersPseudonymised: 1,
      sessions: 1,
      login_history: 1,
    });
    for (const needle of [email, name, legalName, documentText, code, boughtCode])
      expect(await scanForPersonalData(database, needle), needle).to.deep.equal([]);
    // The code bought from another shop: the buyer's data key is gone (no row, no wrapped copy
    // anywhere), so the platform cannot open it, and the shop's key (still alive) does not either.
    expect(await queryRows(database.db, sql`SELECT 1 FROM account_data_keys WHERE account_id = ${person}`)).to.have.length(0);
    expect((await scanForPersonalData(database, buyerKeyRow!.data_key_wrapped.toString("hex"))).length).to.equal(0);
    expect((await refusal(readEntitlementCode(database.db, ring, boughtKey.entitlementId))).code).to.equal("not_found");
    const bought = await queryOne<{ ciphertext: Buffer }>(database.db, sql`SELECT ciphertext FROM keys WHERE id = ${boughtKey.keyId}`);
    expect(bought!.ciphertext.length).to.be.greaterThan(0);
    expect(() => decryptSecret(otherShopKey, bought!.ciphertext, keyAad({ shopId: otherShop, batchId: boughtKey.batchId, leafIndex: 0 }))).to.throw();
    // The code resold before the erasure went back under the shop's key: its new holder still reads it.
    expect(await readEntitlementCode(database.db, ring, resoldKey.entitlementId)).to.equal(resoldCode);
    // The delivered key: its ciphertext no longer opens even under the shop key kept from before.
    const after = await queryOne<{ ciphertext: Buffer }>(database.db, sql`SELECT ciphertext FROM keys WHERE id = ${keyId}`);
    expect(() => decryptSecret(dataKeyBefore, after!.ciphertext, keyAad({ shopId, batchId: BigInt(keyRow!.batch_id), leafIndex: 0 }))).to.throw();
    // The shop's data key is destroyed: nothing sealed under it can be opened any more.
    const shop = await queryOne<{ data_key_wrapped: Buffer; master_key_id: string }>(
      database.db,
      sql`SELECT data_key_wrapped, master_key_id FROM shops WHERE id = ${shopId}`,
    );
    expect(shop!.data_key_wrapped.length).to.equal(0);
    expect(() => unwrapDataKey(ring, shop!.data_key_wrapped, shop!.master_key_id)).to.throw();
    await refusal(loadShopDataKey(database.db, ring, shopId)).catch(() => undefined);
    // The ledger: untouched, balanced, and its hash chain covers every entry.
    await expectLedgerAuditsClean(database);
    // A second request answers the first erasure.
    expect(await erasePerson(database.db, ring, { accountId: person, actorId: person })).to.deep.equal(result);
  });

  it("an account that never confirmed its email neither exports nor erases the guest orders placed under that email", async () => {
    // A guest buys under an address; someone signs up with that address and does not (cannot) confirm it.
    const victim = `victim-${suffix}@example.com`;
    await craftSale(database, { shopId, productId }, 1_000n, new Date(Date.now() - day), { contact: victim });
    const guestOrder = (await queryOne<{ id: string }>(database.db, sql`SELECT id FROM orders WHERE contact = ${victim}`))!.id;
    const impostor = BigInt(
      (await queryOne<{ id: string }>(database.db, sql`INSERT INTO accounts (email, password_hash) VALUES (${victim}, 'x') RETURNING id::text`))!.id,
    );
    expect((await exportPersonalData(database.db, impostor)).guestOrders).to.have.length(0);
    const result = await erasePerson(database.db, ring, { accountId: impostor, actorId: impostor });
    expect(result.summary.guestOrdersPseudonymised ?? 0).to.equal(0);
    const after = await queryOne<{ contact: string }>(database.db, sql`SELECT contact FROM orders WHERE id = ${guestOrder}`);
    expect(after!.contact).to.equal(victim);
    // The victim's order leaves the shared store as the retention test expects to find it (no live contact).
    await database.db.execute(sql`UPDATE orders SET contact = 'erased' WHERE id = ${guestOrder}`);
  });

  it("retention: sign-ins, expired guest contacts and closed tickets' messages past their periods are removed, recent ones kept", async () => {
    const other = BigInt(
      (await queryOne<{ id: string }>(
        database.db,
        sql`INSERT INTO accounts (email, password_hash) VALUES (${`r-${suffix}@example.com`}, 'x') RETURNING id::text`,
      ))!.id,
    );
    await database.db.execute(
      sql`INSERT INTO login_history (account_id, at, factor, succeeded) VALUES (${other}, now() - interval '91 days', 'password', true), (${other}, now() - interval '89 days', 'password', true)`,
    );
    const removed = await enforceRetention(database.db, {
      loginHistoryDays: 90,
      unpaidOrderContactDays: 30,
      ticketMessagesDays: 730,
      paidOrderContactDays: 1825,
    });
    expect(removed.loginHistory).to.equal(1);
    expect((await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM login_history WHERE account_id = ${other}`))!.n).to.equal("1");
    // A paid guest order keeps its contact for five years (tax records), then loses it.
    await craftSale(database, { shopId, productId }, 1_000n, new Date(), { contact: `guest-${suffix}@example.com` });
    const early = await enforceRetention(database.db, {
      loginHistoryDays: 90,
      unpaidOrderContactDays: 30,
      ticketMessagesDays: 730,
      paidOrderContactDays: 1825,
    });
    expect(early.paidOrderContacts).to.equal(0);
    const later = await enforceRetention(
      database.db,
      { loginHistoryDays: 90, unpaidOrderContactDays: 30, ticketMessagesDays: 730, paidOrderContactDays: 1825 },
      { now: new Date(Date.now() + 1826 * day) },
    );
    expect(later.paidOrderContacts).to.equal(1);
    expect((await queryOne<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM orders WHERE contact NOT IN ('expired', 'erased')`))!.n).to.equal(
      "0",
    );
  });
});
