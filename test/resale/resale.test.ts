// Resale against the whole platform (HTTP, PostgreSQL, Redis, BullMQ workers, local chain):
// listings, a purchase settled exactly once, the seller locked out of the code, the on-chain
// resale record, the ledger, two buyers racing, the refund path, and revocation.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import {
  balance,
  buyFromShop,
  startResalePlatform,
  ledgerImbalance,
  payThroughSandbox,
  resaleNotifyPath,
  signUp,
  waitIssued,
  waitRows,
  type Person,
} from "./support.ts";

describe("resale market (custodial accounts)", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  let keys: string[];
  let seller: Person;
  let buyerB: Person;
  let buyerC: Person;

  before(async () => {
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Resellable card", priceMinor: "1000", resaleAllowed: true, royaltyBps: 1000 });
    keys = randomKeys(12, "RSL");
    await importKeys(setup, productId, keys);
    [seller, buyerB, buyerC] = await Promise.all([signUp(platform, "seller"), signUp(platform, "buyer-b"), signUp(platform, "buyer-c")]);
  });
  after(async () => {
    await platform?.stopAll();
  });

  const db = () => platform.ctx.database.db;

  async function listAndBuy(entitlementId: string, owner: Person, buyer: Person, priceMinor = "1500") {
    const listing = await owner.client.post("/api/resale/listings", { entitlementId, priceMinor, currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);
    const purchase = await buyer.client.post(`/api/resale/listings/${listing.body.id}/purchases`);
    expect(purchase.status, purchase.text).to.equal(201);
    await payThroughSandbox(platform, purchase.body.paymentUrl);
    const settled = await buyer.client.get(`/api/resale/purchases/${purchase.body.id}`);
    expect(settled.body.state).to.equal("settled");
    return { listingId: listing.body.id as string, purchaseId: purchase.body.id as string };
  }

  it("sells a sealed entitlement once, records it on-chain, and the seller can never see its code", async () => {
    const { orderId, entitlementId } = await buyFromShop(platform, setup, seller, productId);
    const tokenId = await waitIssued(platform, entitlementId);

    const listing = await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "1500", currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);
    const wrongCurrency = await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "1500", currency: "USD" });
    expect(wrongCurrency.status).to.equal(400);
    const again = await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "1600", currency: "CNY" });
    expect(again.status).to.equal(409);
    const notMine = await buyerB.client.post("/api/resale/listings", { entitlementId, priceMinor: "1", currency: "CNY" });
    expect(notMine.status).to.equal(404);

    const browse = await platform.http.get(`/api/resale/listings?productId=${productId}`);
    expect(browse.status, browse.text).to.equal(200);
    const shown = browse.body.items.find((item: { id: string }) => item.id === listing.body.id);
    expect(shown.priceMinor).to.equal("1500");
    expect(shown.provenance).to.include({ anchored: true, issued: true, tokenId: tokenId.toString(), transferCount: 0 });
    expect(shown.provenance.anchorTx).to.match(/^0x[0-9a-f]{64}$/);
    expect(JSON.stringify(browse.body)).not.to.contain(seller.email);

    const purchase = await buyerB.client.post(`/api/resale/listings/${listing.body.id}/purchases`);
    expect(purchase.status, purchase.text).to.equal(201);
    await payThroughSandbox(platform, purchase.body.paymentUrl);
    expect((await buyerB.client.get(`/api/resale/purchases/${purchase.body.id}`)).body.state).to.equal("settled");

    // The seller, through every endpoint that could show a code: nothing.
    const sellerOrder = await seller.client.get(`/api/orders/${orderId}`);
    expect(sellerOrder.body.items[0].code).to.equal(null);
    const sellerReveal = await seller.client.post(`/api/orders/${orderId}/reveal`, {});
    expect(sellerReveal.status, sellerReveal.text).to.equal(200);
    expect(sellerReveal.body.items[0].code).to.equal(null);
    expect(sellerReveal.body.items[0].state).to.equal("sealed");
    expect((await seller.client.post(`/api/entitlements/${entitlementId}/reveal`)).status).to.equal(404);
    expect((await seller.client.get("/api/me/entitlements")).body.items.map((item: { id: string }) => item.id)).not.to.include(entitlementId);
    expect((await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "1500", currency: "CNY" })).status).to.equal(404);

    // The new owner reveals once the resale is on-chain (the contract refuses records of locked tokens).
    const record = await waitRows<{ state: string; tx_hash: string }>(
      platform,
      "custodial transfer record",
      sql`SELECT state, tx_hash FROM custodial_transfers WHERE entitlement_id = ${entitlementId}`,
      (rows) => rows.length === 1 && rows[0]!.state === "included",
    );
    const revealed = await waitFor("reveal by the new owner", async () => {
      const response = await buyerB.client.post(`/api/entitlements/${entitlementId}/reveal`);
      return response.status === 200 ? response.body : undefined;
    });
    expect(keys).to.include(revealed.code);
    // Even after the new owner revealed it, the seller's order page shows no code.
    const afterReveal = await seller.client.get(`/api/orders/${orderId}`);
    expect(afterReveal.body.items[0].state).to.equal("redeemed");
    expect(afterReveal.body.items[0].code).to.equal(null);
    expect(afterReveal.text).not.to.contain(revealed.code);

    // On-chain: exactly one resale record for the token, naming pseudonymous holders.
    const events = await platform.ctx.chain!.publicClient.getContractEvents({
      address: platform.ctx.chain!.addresses.entitlement,
      abi: entitlementTokenAbi,
      eventName: "CustodialTransferRecorded",
      args: { tokenId },
      fromBlock: 0n,
    });
    expect(events).to.have.length(1);
    expect(events[0]!.transactionHash).to.equal(record[0]!.tx_hash);
    expect(events[0]!.args.fromHolder).not.to.equal(events[0]!.args.toHolder);
    // ERC-2981: the batch's royalty (10%) was set on-chain before the record.
    const [, royalty] = await platform.ctx.chain!.publicClient.readContract({
      address: platform.ctx.chain!.addresses.entitlement,
      abi: entitlementTokenAbi,
      functionName: "royaltyInfo",
      args: [tokenId, 1500n],
    });
    expect(royalty).to.equal(150n);

    // Reselling a revealed entitlement fails at the API.
    const relist = await buyerB.client.post("/api/resale/listings", { entitlementId, priceMinor: "2000", currency: "CNY" });
    expect(relist.status).to.equal(409);
    expect(relist.body.code).to.equal("invalid_state");

    // The ledger: balanced; fee 5% and royalty 10% of 1500; the seller's 1275 held for the window.
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
    expect(await balance(platform, "reseller", seller.accountId, "holds")).to.equal(1275n);
    expect(await balance(platform, "reseller", seller.accountId, "proceeds")).to.equal(0n);

    const timeline = await platform.http.get(`/api/entitlements/${entitlementId}/timeline`);
    expect(timeline.status, timeline.text).to.equal(200);
    const kinds = timeline.body.steps.map((step: { kind: string }) => step.kind);
    expect(kinds).to.include.members(["anchored", "sold", "issued", "resold"]);
    const resold = timeline.body.steps.find((step: { kind: string }) => step.kind === "resold");
    expect(resold.transactionHash).to.equal(record[0]!.tx_hash);
  });

  it("a seller cancels an active listing (no one else can), and a purchase notified by a POSTed form settles", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, seller, productId);
    await waitIssued(platform, entitlementId);
    const listing = await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "1700", currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);
    const cancelPath = `/api/resale/listings/${listing.body.id}/cancel`;
    const byOther = await buyerB.client.post(cancelPath);
    expect([byOther.status, byOther.body.code]).to.deep.equal([404, "not_found"]);
    expect((await platform.http.post(cancelPath)).status).to.equal(401);
    const cancelled = await seller.client.post(cancelPath);
    expect([cancelled.status, cancelled.body]).to.deep.equal([200, { id: listing.body.id, state: "cancelled" }]);
    const twice = await seller.client.post(cancelPath);
    expect([twice.status, twice.body.code]).to.deep.equal([409, "invalid_state"]);
    const browse = await platform.http.get(`/api/resale/listings?productId=${productId}`);
    expect(browse.body.items.map((item: { id: string }) => item.id)).not.to.include(listing.body.id);
    expect((await buyerB.client.post(`/api/resale/listings/${listing.body.id}/purchases`)).status).to.be.oneOf([404, 409]);

    // Listed again and bought; the gateway notifies with a POSTed form instead of a GET.
    const relisted = await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "1700", currency: "CNY" });
    expect(relisted.status, relisted.text).to.equal(201);
    const purchase = await buyerB.client.post(`/api/resale/listings/${relisted.body.id}/purchases`);
    expect(purchase.status, purchase.text).to.equal(201);
    const notifyPathAndQuery = resaleNotifyPath(platform, purchase.body, `T${randomBytes(6).toString("hex")}`);
    const [notifyPath, query] = notifyPathAndQuery.split("?");
    const notified = await platform.http.request("POST", notifyPath!, query, { "content-type": "application/x-www-form-urlencoded" });
    expect(notified.text).to.equal("success");
    expect((await buyerB.client.get(`/api/resale/purchases/${purchase.body.id}`)).body.state).to.equal("settled");
  });

  it("two buyers racing for one listing: one purchase, one on-chain record, the loser never charged; a late payment is refunded", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, seller, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    const listing = await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "2000", currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);

    const attempts = await Promise.all([buyerB, buyerC].map((buyer) => buyer.client.post(`/api/resale/listings/${listing.body.id}/purchases`)));
    const statuses = attempts.map((attempt) => attempt.status).sort();
    expect(statuses).to.deep.equal([201, 409]);
    const winnerIndex = attempts.findIndex((attempt) => attempt.status === 201);
    const winner = [buyerB, buyerC][winnerIndex]!;
    const loser = [buyerB, buyerC][1 - winnerIndex]!;
    const purchase = attempts[winnerIndex]!.body;

    // The gateway notifies twice at once (a retry) and once more later: one settlement.
    const tradeNo = `T${randomBytes(6).toString("hex")}`;
    const notified = await Promise.all([0, 1].map(() => platform.http.get(resaleNotifyPath(platform, purchase, tradeNo))));
    expect(notified.map((response) => response.text)).to.deep.equal(["success", "success"]);
    expect((await platform.http.get(resaleNotifyPath(platform, purchase, tradeNo))).text).to.equal("success");
    const owner = await queryOne<{ owner_account_id: bigint }>(db(), sql`SELECT owner_account_id FROM entitlements WHERE id = ${entitlementId}`);
    expect(BigInt(owner!.owner_account_id)).to.equal(winner.accountId);
    const sales = await queryRows(db(), sql`SELECT 1 FROM ledger_transactions WHERE kind = 'resale' AND reference_id = ${listing.body.id}`);
    expect(sales).to.have.length(1);
    expect(await balance(platform, "buyer", loser.accountId, "payments")).to.equal(0n);
    expect(
      await queryRows(
        db(),
        sql`SELECT 1 FROM resale_payments p JOIN resale_purchases r ON r.id = p.purchase_id WHERE r.buyer_account_id = ${loser.accountId} AND r.listing_id = ${listing.body.id}`,
      ),
    ).to.have.length(0);

    await waitRows(
      platform,
      "resale record",
      sql`SELECT state FROM custodial_transfers WHERE entitlement_id = ${entitlementId}`,
      (rows: { state: string }[]) => rows.length === 1 && rows[0]!.state === "included",
    );
    const events = await platform.ctx.chain!.publicClient.getContractEvents({
      address: platform.ctx.chain!.addresses.entitlement,
      abi: entitlementTokenAbi,
      eventName: "CustodialTransferRecorded",
      args: { tokenId },
      fromBlock: 0n,
    });
    expect(events).to.have.length(1);

    // A second, different payment for the settled purchase goes to the refund path.
    expect((await platform.http.get(resaleNotifyPath(platform, purchase, `T${randomBytes(6).toString("hex")}`))).text).to.equal("success");
    const refunds = await queryRows<{ status: string }>(db(), sql`SELECT status FROM resale_payments WHERE purchase_id = ${purchase.id} ORDER BY id`);
    expect(refunds.map((row) => row.status)).to.deep.equal(["accepted", "refund_pending"]);

    // A checkout that expired, paid after another buyer took the listing: refunded, not sold twice.
    const { entitlementId: second } = await buyFromShop(platform, setup, seller, productId);
    await waitIssued(platform, second);
    const secondListing = await seller.client.post("/api/resale/listings", { entitlementId: second, priceMinor: "1800", currency: "CNY" });
    const late = await buyerC.client.post(`/api/resale/listings/${secondListing.body.id}/purchases`);
    expect(late.status, late.text).to.equal(201);
    // Time passes beyond the checkout's expiry (RESALE_PURCHASE_EXPIRY_SECONDS).
    await platform.ctx.database.db.execute(sql`UPDATE resale_purchases SET expires_at = now() - interval '1 second' WHERE id = ${late.body.id}`);
    const onTime = await buyerB.client.post(`/api/resale/listings/${secondListing.body.id}/purchases`);
    expect(onTime.status, onTime.text).to.equal(201);
    await payThroughSandbox(platform, onTime.body.paymentUrl);
    await payThroughSandbox(platform, late.body.paymentUrl);
    const lateState = await buyerC.client.get(`/api/resale/purchases/${late.body.id}`);
    expect(lateState.body.state).to.equal("refund_pending");
    expect((await buyerB.client.get(`/api/resale/purchases/${onTime.body.id}`)).body.state).to.equal("settled");
    const owner2 = await queryOne<{ owner_account_id: bigint }>(db(), sql`SELECT owner_account_id FROM entitlements WHERE id = ${second}`);
    expect(BigInt(owner2!.owner_account_id)).to.equal(buyerB.accountId);
    expect(await balance(platform, "platform", 0n, "refunds")).to.equal(2000n + 1800n);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  });

  it("revocation pulls the listing, locks the token on-chain and holds the resale proceeds", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, seller, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    const { listingId: soldListing } = await listAndBuy(entitlementId, seller, buyerC, "1000");
    await waitRows(
      platform,
      "resale record",
      sql`SELECT state FROM custodial_transfers WHERE entitlement_id = ${entitlementId}`,
      (rows: { state: string }[]) => rows[0]?.state === "included",
    );
    const heldBefore = await balance(platform, "reseller", seller.accountId, "holds");
    const relisted = await buyerC.client.post("/api/resale/listings", { entitlementId, priceMinor: "1300", currency: "CNY" });
    expect(relisted.status, relisted.text).to.equal(201);

    expect((await buyerC.client.post(`/api/entitlements/${entitlementId}/revoke`, { reason: "chargeback" })).status).to.equal(403);
    const other = await setupMerchant(platform);
    expect((await other.merchant.post(`/api/entitlements/${entitlementId}/revoke`, { reason: "chargeback" })).status).to.equal(404);
    const revoked = await setup.merchant.post(`/api/entitlements/${entitlementId}/revoke`, { reason: "chargeback on the original payment" });
    expect(revoked.status, revoked.text).to.equal(200);
    expect(revoked.body).to.include({ state: "revoked", listingPulled: true, heldProceedsReturned: true });

    const pulled = await queryOne<{ state: string; closed_reason: string }>(
      db(),
      sql`SELECT state, closed_reason FROM resale_listings WHERE id = ${relisted.body.id}`,
    );
    expect(pulled).to.deep.equal({ state: "pulled", closed_reason: "revoked" });
    const browse = await platform.http.get(`/api/resale/listings?productId=${productId}&limit=100`);
    expect(browse.body.items.map((item: { id: string }) => item.id)).not.to.include(relisted.body.id);
    // The seller's proceeds of the sale inside the window never reach them: the hold is voided
    // back to the buyer (chargeback), and proceeds stay zero.
    const hold = await queryOne<{ state: string }>(db(), sql`SELECT state FROM ledger_holds WHERE reference_type = 'resale' AND reference_id = ${soldListing}`);
    expect(hold!.state).to.equal("voided");
    expect(await balance(platform, "reseller", seller.accountId, "holds")).to.equal(heldBefore - 850n);
    expect(await balance(platform, "reseller", seller.accountId, "proceeds")).to.equal(0n);
    expect(await balance(platform, "buyer", buyerC.accountId, "refunds")).to.equal(850n);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);

    const audit = await queryRows<{ action: string }>(
      db(),
      sql`SELECT action FROM audit_log WHERE subject = ${`entitlement:${entitlementId}`} AND action = 'entitlement.revoke'`,
    );
    expect(audit).to.have.length(1);
    expect((await buyerC.client.post(`/api/entitlements/${entitlementId}/reveal`)).status).to.equal(409);
    expect((await setup.merchant.post(`/api/entitlements/${entitlementId}/revoke`, { reason: "again" })).status).to.equal(409);

    const revocation = await waitRows<{ state: string; tx_hash: string }>(
      platform,
      "on-chain revocation",
      sql`SELECT state, tx_hash FROM entitlement_revocations WHERE entitlement_id = ${entitlementId}`,
      (rows) => rows[0]?.state === "included",
    );
    const read = (functionName: "locked" | "isRevoked") =>
      platform.ctx.chain!.publicClient.readContract({
        address: platform.ctx.chain!.addresses.entitlement,
        abi: entitlementTokenAbi,
        functionName,
        args: [tokenId],
      });
    expect(await read("locked")).to.equal(true);
    expect(await read("isRevoked")).to.equal(true);
    const timeline = await platform.http.get(`/api/entitlements/${entitlementId}/timeline`);
    const last = timeline.body.steps.at(-1);
    expect(last).to.include({ kind: "revoked", transactionHash: revocation[0]!.tx_hash });
  });

  it("revealing through the order page pulls the listing; bad listing input writes nothing", async () => {
    const { orderId, entitlementId } = await buyFromShop(platform, setup, seller, productId);
    const count = async () => (await queryOne<{ n: number }>(db(), sql`SELECT count(*)::int AS n FROM resale_listings`))!.n;
    const before = await count();
    for (const body of [
      { entitlementId, priceMinor: "0", currency: "CNY" },
      { entitlementId, priceMinor: "-5", currency: "CNY" },
      { entitlementId, priceMinor: "100", currency: "cny" },
      { entitlementId: "abc", priceMinor: "100", currency: "CNY" },
      { entitlementId, priceMinor: "100", currency: "CNY", sellerAccountId: "1" },
    ]) {
      const response = await seller.client.post("/api/resale/listings", body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
    }
    expect((await platform.http.post("/api/resale/listings", { entitlementId, priceMinor: "100", currency: "CNY" })).status).to.equal(401);
    expect(await count()).to.equal(before);

    const listing = await seller.client.post("/api/resale/listings", { entitlementId, priceMinor: "1100", currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);
    const revealed = await seller.client.post(`/api/orders/${orderId}/reveal`, {});
    expect(keys).to.include(revealed.body.items[0].code);
    const pulled = await queryOne<{ state: string; closed_reason: string }>(
      db(),
      sql`SELECT state, closed_reason FROM resale_listings WHERE id = ${listing.body.id}`,
    );
    expect(pulled).to.deep.equal({ state: "pulled", closed_reason: "revealed" });
    const purchase = await buyerB.client.post(`/api/resale/listings/${listing.body.id}/purchases`);
    expect(purchase.status).to.equal(409);
    expect(purchase.body.code).to.equal("invalid_state");
  });

  it("documents the resale and wallet routes in the OpenAPI document", async () => {
    const document = await platform.http.get("/api/openapi.json");
    expect(document.status, document.text).to.equal(200);
    const paths = Object.keys(document.body.paths);
    for (const path of [
      "/api/resale/listings",
      "/api/resale/listings/{listingId}/purchases",
      "/api/entitlements/{entitlementId}/timeline",
      "/api/wallets/reveal",
      "/api/wallets/link",
    ]) {
      expect(paths, path).to.include(path);
    }
  });

  it("a resale record signed but never broadcast before a crash is sent again; one mined before the crash is settled from its receipt", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, seller, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    const { purchaseId } = await listAndBuy(entitlementId, seller, buyerB, "1200");
    const first = await waitRows<{ id: bigint; tx_hash: string }>(
      platform,
      "resale record",
      sql`SELECT id, tx_hash FROM custodial_transfers WHERE entitlement_id = ${entitlementId} AND state = 'included'`,
      (rows) => rows.length === 1,
    );
    // The crash left a row 'submitted' with the hash of a transaction the chain never received,
    // and another with the hash of one that was mined.
    const lostHash = `0x${randomBytes(32).toString("hex")}`;
    const holders = await queryOne<{ from_holder: Buffer; to_holder: Buffer }>(
      db(),
      sql`SELECT from_holder, to_holder FROM custodial_transfers WHERE id = ${first[0]!.id}`,
    );
    const lost = await queryOne<{ id: bigint }>(
      db(),
      sql`INSERT INTO custodial_transfers (entitlement_id, purchase_id, from_account_id, to_account_id, from_holder, to_holder, state, tx_hash)
          VALUES (${entitlementId}, ${purchaseId}, ${seller.accountId}, ${buyerB.accountId}, ${holders!.from_holder}, ${holders!.to_holder}, 'submitted', ${lostHash}) RETURNING id`,
    );
    await db().execute(sql`UPDATE custodial_transfers SET state = 'submitted' WHERE id = ${first[0]!.id}`);
    const settled = await waitRows<{ id: bigint; state: string; tx_hash: string }>(
      platform,
      "both rows settled",
      sql`SELECT id, state, tx_hash FROM custodial_transfers WHERE entitlement_id = ${entitlementId} ORDER BY id`,
      (rows) => rows.every((row) => row.state === "included"),
    );
    expect(settled[0]!.tx_hash).to.equal(first[0]!.tx_hash);
    expect(BigInt(settled[1]!.id)).to.equal(BigInt(lost!.id));
    expect(settled[1]!.tx_hash)
      .to.match(/^0x[0-9a-f]{64}$/)
      .and.not.equal(lostHash);
    const events = await platform.ctx.chain!.publicClient.getContractEvents({
      address: platform.ctx.chain!.addresses.entitlement,
      abi: entitlementTokenAbi,
      eventName: "CustodialTransferRecorded",
      args: { tokenId },
      fromBlock: 0n,
    });
    expect(events.map((event) => event.transactionHash)).to.deep.equal([first[0]!.tx_hash, settled[1]!.tx_hash]);
  });
});
