// Rentals against the whole platform (HTTP, PostgreSQL, Redis, BullMQ workers, local chain): an
// owner offers a sealed entitlement for rent, a renter pays, the chain worker makes the token
// rentable and sets the renter as its ERC-4907 user, the renter uses the content, the owner is
// refused every act, chain time passes the end (no transaction sent), and the owner acts again.
// The ledger split is checked against figures computed here by hand.
import { expect } from "chai";
import { concat, createPublicClient, createTestClient, getAddress, http, keccak256, numberToHex, slice, zeroAddress, type Address } from "viem";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { expireHolds } from "../../api/ledger/holds.ts";
import { holderSalt } from "../../api/services/resale/holderId.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type TestPlatform } from "../support/platform.ts";
import {
  balance,
  buyFromShop,
  ledgerImbalance,
  payThroughSandbox,
  resaleNotifyPath,
  signUp,
  startResalePlatform,
  waitIssued,
  waitRows,
  type Person,
} from "../resale/support.ts";

describe("rentals (custodial accounts, ERC-4907 on-chain)", function () {
  this.timeout(240_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let sharedAccount: string;
  let oneTimeCode: string;
  let keys: string[];
  let owner: Person;
  let renter: Person;

  before(async () => {
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    sharedAccount = await createProduct(setup, {
      name: "Shared streaming account",
      priceMinor: "3000",
      resaleAllowed: true,
      rentalAllowed: true,
      royaltyBps: 1000,
    });
    oneTimeCode = await createProduct(setup, { name: "One-time top-up code", priceMinor: "1000", resaleAllowed: true });
    keys = randomKeys(4, "RNT");
    await importKeys(setup, sharedAccount, keys);
    await importKeys(setup, oneTimeCode, randomKeys(2, "OTC"));
    [owner, renter] = await Promise.all([signUp(platform, "owner"), signUp(platform, "renter")]);
  });
  after(async () => {
    await platform?.stopAll();
  });

  const db = () => platform.ctx.database.db;
  const chainClient = () => createPublicClient({ transport: http(platform.rpcUrl) });
  const token = () => ({ address: platform.ctx.chain!.addresses.entitlement, abi: entitlementTokenAbi });
  const readToken = (functionName: "userOf" | "userExpires" | "isRentable" | "locked", tokenId: bigint) =>
    chainClient().readContract({ ...token(), functionName, args: [tokenId] } as never) as Promise<unknown>;

  /**
   * A rental's proceeds and royalty are held for the after-sales window of the product's category
   * (game_card: 3 days = 259,200 s, docs/disputes.md) from the split, then released by the
   * ledger's expiry sweep, driven here with a controlled clock. Until then a shop payout of the
   * royalty is refused; from then it is accepted. Amounts worked out by the caller by hand.
   */
  async function heldUntilTheWindowCloses(parameters: { rentalId: string; ownerShare: bigint; royalty: bigint }): Promise<void> {
    const { rentalId, ownerShare, royalty } = parameters;
    const holds = await queryRows<{ id: string; amount_minor: string; state: string; expires_at: Date; created_at: Date; kind: string }>(
      db(),
      sql`SELECT h.id::text, h.amount_minor::text, h.state, h.expires_at, t.created_at, t.kind
          FROM ledger_holds h JOIN ledger_transactions t ON t.id = h.tx_id
          WHERE (h.reference_type = 'rental' AND h.reference_id = ${rentalId}) OR (h.reference_type = 'hold' AND h.reference_id = ${`rental-royalty:${rentalId}`})
          ORDER BY t.id`,
    );
    expect(holds.map((hold) => [hold.kind, hold.amount_minor, hold.state])).to.deep.equal([
      ["rental", String(ownerShare), "pending"],
      ["rental_royalty_hold", String(royalty), "pending"],
    ]);
    const releaseAt = new Date(holds[0]!.created_at).getTime() + 3 * 86_400_000;
    for (const hold of holds) expect(new Date(hold.expires_at).getTime()).to.equal(releaseAt);
    const shopId = BigInt(setup.shopId);
    const payout = (requestId: string, amountMinor: bigint) =>
      setup.merchant.post(`/api/ledger/shops/${setup.shopId}/payouts`, { amountMinor: String(amountMinor), currency: "CNY", requestId });

    // One millisecond before the window closes: the sweep leaves both held (it may release an
    // earlier rental's); what the shop may draw then is less than this royalty.
    await expireHolds(db(), { now: new Date(releaseAt - 1), limit: 500 });
    const stillHeld = await queryRows<{ state: string }>(
      db(),
      sql`SELECT state FROM ledger_holds WHERE id IN (${BigInt(holds[0]!.id)}, ${BigInt(holds[1]!.id)})`,
    );
    expect(stillHeld.map((hold) => hold.state)).to.deep.equal(["pending", "pending"]);
    const payableBefore = await balance(platform, "shop", shopId, "payable");
    const proceedsBefore = await balance(platform, "reseller", owner.accountId, "proceeds");
    const early = await payout("rental-early", payableBefore + royalty);
    expect(early.status, early.text).to.equal(409);
    expect(early.body.code).to.equal("insufficient_funds");
    expect(await balance(platform, "shop", shopId, "payable")).to.equal(payableBefore);

    // At the close: both released, to the owner's proceeds and the shop's payable, exactly.
    await expireHolds(db(), { now: new Date(releaseAt), limit: 500 });
    expect((await balance(platform, "reseller", owner.accountId, "proceeds")) - proceedsBefore).to.equal(ownerShare);
    expect((await balance(platform, "shop", shopId, "payable")) - payableBefore).to.equal(royalty);
    const later = await payout("rental-later", payableBefore + royalty);
    expect(later.status, later.text).to.equal(201);
    expect(await balance(platform, "shop", shopId, "payable")).to.equal(0n);
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
  }

  it("refuses offers of products without rental use, bad terms and foreign entitlements; nothing is written", async () => {
    const code = await buyFromShop(platform, setup, owner, oneTimeCode);
    const offer = (person: Person, body: Record<string, unknown>) => person.client.post("/api/rentals/listings", body);
    const base = { pricePerDayMinor: "200", currency: "CNY", minDays: 1, maxDays: 7 };
    const oneTime = await offer(owner, { ...base, entitlementId: code.entitlementId });
    expect(oneTime.status, oneTime.text).to.equal(403);
    expect(oneTime.body.code).to.equal("forbidden");
    const shared = await buyFromShop(platform, setup, owner, sharedAccount);
    expect((await offer(owner, { ...base, entitlementId: shared.entitlementId, minDays: 5, maxDays: 2 })).body.code).to.equal("validation_failed");
    expect((await offer(owner, { ...base, entitlementId: shared.entitlementId, maxDays: 400 })).status).to.equal(400);
    expect((await offer(owner, { ...base, entitlementId: shared.entitlementId, currency: "USD" })).body.code).to.equal("validation_failed");
    expect((await offer(renter, { ...base, entitlementId: shared.entitlementId })).status).to.equal(404);
    const written = await queryOne<{ count: string }>(db(), sql`SELECT count(*)::text AS count FROM rental_listings`);
    expect(written!.count).to.equal("0");
  });

  it("two renters racing for one offer: exactly one checkout; a payment notified twice at once settles once", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, owner, sharedAccount);
    await waitIssued(platform, entitlementId);
    const offer = await owner.client.post("/api/rentals/listings", { entitlementId, pricePerDayMinor: "100", currency: "CNY", minDays: 1, maxDays: 3 });
    expect(offer.status, offer.text).to.equal(201);
    const other = await signUp(platform, "renter-b");
    const answers = await Promise.all([renter, other].map((person) => person.client.post(`/api/rentals/listings/${offer.body.id}/rentals`, { days: 2 })));
    expect(answers.map((answer) => answer.status).sort()).to.deep.equal([201, 409]);
    const winner = answers.find((answer) => answer.status === 201)!.body;
    const notifyPath = resaleNotifyPath(platform, { id: winner.id, priceMinor: winner.priceMinor }, "T-RENTAL-RACE").replace("/api/resale/", "/api/rentals/");
    const notified = await Promise.all([platform.http.get(notifyPath), platform.http.get(notifyPath)]);
    expect(notified.map((answer) => answer.text)).to.deep.equal(["success", "success"]);
    const counts = await queryOne<{ payments: string; settled: string; splits: string }>(
      db(),
      sql`SELECT (SELECT count(*) FROM rental_payments WHERE rental_id = ${winner.id})::text AS payments,
                 (SELECT count(*) FROM rentals WHERE listing_id = ${offer.body.id} AND state = 'settled')::text AS settled,
                 (SELECT count(*) FROM ledger_transactions WHERE reference_type = 'rental' AND reference_id = ${winner.id} AND kind = 'rental')::text AS splits`,
    );
    expect(counts).to.deep.equal({ payments: "1", settled: "1", splits: "1" });
  });

  it("a rental: the renter uses it, the owner is refused, chain time passes the end with no transaction, the owner acts again", async () => {
    const { orderId, entitlementId } = await buyFromShop(platform, setup, owner, sharedAccount);
    const tokenId = await waitIssued(platform, entitlementId);
    const offer = await owner.client.post("/api/rentals/listings", { entitlementId, pricePerDayMinor: "300", currency: "CNY", minDays: 2, maxDays: 5 });
    expect(offer.status, offer.text).to.equal(201);
    // Listed for rent: neither for sale nor offered twice.
    expect((await owner.client.post("/api/resale/listings", { entitlementId, priceMinor: "1500", currency: "CNY" })).status).to.equal(409);
    await waitFor("enableRental on-chain", async () => ((await readToken("isRentable", tokenId)) ? true : undefined), 60_000, 100);

    // A term outside the bounds is refused before any payment; the owner cannot rent its own.
    const tooLong = await renter.client.post(`/api/rentals/listings/${offer.body.id}/rentals`, { days: 6 });
    expect(tooLong.status, tooLong.text).to.equal(400);
    expect((await owner.client.post(`/api/rentals/listings/${offer.body.id}/rentals`, { days: 3 })).status).to.equal(409);
    const proceedsBefore = await balance(platform, "reseller", owner.accountId, "proceeds");
    const ownerHoldsBefore = await balance(platform, "reseller", owner.accountId, "holds");
    const checkout = await renter.client.post(`/api/rentals/listings/${offer.body.id}/rentals`, { days: 3 });
    expect(checkout.status, checkout.text).to.equal(201);
    expect(checkout.body.priceMinor).to.equal("900");
    await payThroughSandbox(platform, checkout.body.paymentUrl);
    const settled = (await renter.client.get(`/api/rentals/${checkout.body.id}`)).body;
    expect(settled.state).to.equal("settled");
    const endsAt = BigInt(Date.parse(settled.endsAt) / 1000);
    expect(endsAt - BigInt(Date.parse(settled.startsAt) / 1000)).to.equal(3n * 86_400n);

    // The chain names the renter's pseudonymous address (last 20 bytes of keccak256(salt || account id)) until the end.
    const salt = holderSalt(platform.ctx.config.secrets.queryPasswordPepper!);
    const expectedUser = getAddress(slice(keccak256(concat([salt, numberToHex(renter.accountId, { size: 32 })])), 12)) as Address;
    await waitRows(
      platform,
      "setUser included",
      sql`SELECT id FROM rentals WHERE id = ${checkout.body.id} AND chain_state = 'included'`,
      (rows) => rows.length === 1,
    );
    expect(await readToken("userOf", tokenId)).to.equal(expectedUser);
    expect(await readToken("userExpires", tokenId)).to.equal(endsAt);

    // The renter uses the content; the token stays sealed.
    const used = await renter.client.post(`/api/entitlements/${entitlementId}/use`);
    expect(used.status, used.text).to.equal(200);
    expect(keys).to.include(used.body.code);
    expect(await readToken("locked", tokenId)).to.equal(false);
    // The verify page's answer names the owner (the custodian), the user and the user's expiry, from the chain.
    const verified = await platform.http.post("/api/verify", { key: used.body.code });
    expect(verified.status, verified.text).to.equal(200);
    expect(verified.body.verdict).to.equal("genuine");
    expect(verified.body.entitlement).to.include({ owner: getAddress(platform.ctx.chain!.custodian!), user: expectedUser, expiresAt: null });
    expect(verified.body.entitlement.userExpires).to.equal(new Date(Number(endsAt) * 1000).toISOString());

    // The owner is refused: reveal (both ways), resale, a new offer; and on-chain the redemption would revert.
    const reveal = await owner.client.post(`/api/entitlements/${entitlementId}/reveal`);
    expect(reveal.status, reveal.text).to.equal(409);
    expect(reveal.body.message).to.contain("rented until");
    await owner.client.post(`/api/orders/${orderId}/reveal`, {});
    const state = await queryOne<{ state: string }>(db(), sql`SELECT state FROM entitlements WHERE id = ${entitlementId}`);
    expect(state!.state, "the order page's reveal leaves a rented entitlement sealed").to.equal("sealed");
    expect((await owner.client.post("/api/resale/listings", { entitlementId, priceMinor: "1500", currency: "CNY" })).status).to.equal(409);
    expect(
      (await owner.client.post("/api/rentals/listings", { entitlementId, pricePerDayMinor: "300", currency: "CNY", minDays: 1, maxDays: 2 })).status,
    ).to.equal(409);
    const onChainRedeem = await chainClient()
      .simulateContract({ ...token(), functionName: "redeem", args: [[tokenId]], account: platform.ctx.chain!.custodian! })
      .then(
        () => "succeeded",
        (error: Error) => error.message,
      );
    expect(onChainRedeem).to.contain("TokenRented");

    // The split, by hand: 900 paid; platform fee at the configured rate, royalty 10%, the rest to the owner.
    const feeBps = BigInt(platform.ctx.config.orders.platformFeeBps);
    const fee = (900n * feeBps) / 10_000n;
    const royalty = 90n;
    const ownerShare = 900n - fee - royalty;
    // Both shares wait out the after-sales window: nothing of the owner's is payable yet.
    expect((await balance(platform, "reseller", owner.accountId, "proceeds")) - proceedsBefore).to.equal(0n);
    expect((await balance(platform, "reseller", owner.accountId, "holds")) - ownerHoldsBefore).to.equal(ownerShare);
    expect(await balance(platform, "buyer", renter.accountId, "payments")).to.equal(0n);
    const rentalLegs = await queryOne<{ legs: string; total: string }>(
      db(),
      sql`SELECT count(*)::text AS legs, sum(p.amount_minor)::text AS total FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.tx_id
          WHERE t.reference_type = 'rental' AND t.reference_id = ${checkout.body.id} AND t.kind = 'rental'`,
    );
    expect(rentalLegs!.total, "one balanced transaction").to.equal("0");
    expect(rentalLegs!.legs, "renter, platform fee, merchant royalty, owner").to.equal("4");
    expect(await ledgerImbalance(platform)).to.deep.equal([]);
    await heldUntilTheWindowCloses({ rentalId: checkout.body.id, ownerShare, royalty });

    // Chain time passes the end: one empty block mined, no transaction of ours, and the right is gone.
    const testClient = createTestClient({ transport: http(platform.rpcUrl), mode: "hardhat" });
    await testClient.setNextBlockTimestamp({ timestamp: endsAt });
    await testClient.mine({ blocks: 1 });
    const block = await chainClient().getBlock();
    expect(block.transactions).to.have.length(0);
    expect(await readToken("userOf", tokenId)).to.equal(zeroAddress);
    const late = await renter.client.post(`/api/entitlements/${entitlementId}/use`);
    expect(late.status, late.text).to.equal(404);
    expect((await platform.http.post("/api/verify", { key: used.body.code })).body.entitlement).to.include({ user: null, userExpires: null });

    // The owner may act again: the reveal works, and the chain worker's redemption goes through.
    const revealed = await owner.client.post(`/api/entitlements/${entitlementId}/reveal`);
    expect(revealed.status, revealed.text).to.equal(200);
    expect(revealed.body.code).to.equal(used.body.code);
    await waitFor("redemption on-chain", async () => ((await readToken("locked", tokenId)) ? true : undefined), 60_000, 100);
  });
});
