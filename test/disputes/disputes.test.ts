// Disputes against the whole platform (HTTP, PostgreSQL, Redis and BullMQ workers, a local
// chain): "key already used" where the chain shows the buyer withdrew the entitlement and then
// revealed it, decided by an admin after escalation, with the ledger and the chain matching the
// decision; a replacement end to end (old token revoked on-chain, the new key's certificate
// verified with @openzeppelin/merkle-tree and viem, the ledger untouched); a replacement refused
// on empty stock; partial refunds to the last unit with balances worked out by hand; the answer
// deadline enforced by the disputes job on a controlled clock; and the bad inputs, each a 4xx
// with its code and nothing written.
import { randomBytes } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { entitlementTokenAbi, keyRegistryAbi } from "../../core/chain/abis.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { revealDomain, revealTypes } from "../../api/services/wallets/revealTypedData.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { createStaffAccount, signInWithTotp } from "../support/staff.ts";
import { buyFromShop, signUp, startResalePlatform, waitIssued, waitRows, type Person } from "../resale/support.ts";

describe("disputes: evidence from the chain, decisions, refunds and replacements", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let admin: HttpClient;
  let productId: string;

  before(async () => {
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Dispute card", priceMinor: "10000", resaleAllowed: true });
    await importKeys(setup, productId, randomKeys(8, "DSP"));
    const staff = await createStaffAccount(platform, "arbiter", ["admin"]);
    admin = await signInWithTotp(platform, staff);
  });
  after(async () => {
    await platform?.stopAll();
  });

  const db = () => platform.ctx.database.db;
  const chain = () => platform.ctx.chain!;
  const readToken = <Name extends "ownerOf" | "isRevoked" | "locked">(functionName: Name, tokenId: bigint) =>
    chain().publicClient.readContract({ address: chain().addresses.entitlement, abi: entitlementTokenAbi, functionName, args: [tokenId] } as never) as Promise<
      Name extends "ownerOf" ? Hex : boolean
    >;
  const ledgerEntriesOf = async (orderId: string) =>
    (
      await queryRows<{ id: string; kind: string }>(
        db(),
        sql`SELECT id::text AS id, kind FROM ledger_transactions WHERE reference_type = 'order' AND reference_id = ${orderId} ORDER BY id`,
      )
    ).map((row) => `${row.id}:${row.kind}`);
  const accountBalance = async (ownerType: string, ownerId: string | bigint, purpose: string) => {
    const row = await queryOne<{ balance: string }>(
      db(),
      sql`SELECT coalesce(sum(balance_minor), 0)::text AS balance FROM ledger_accounts WHERE owner_type = ${ownerType} AND owner_id = ${ownerId} AND purpose = ${purpose} AND currency = 'CNY'`,
    );
    return BigInt(row!.balance);
  };
  const countRows = async (table: "disputes" | "dispute_refunds" | "entitlement_revocations" | "ledger_transactions") =>
    Number((await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM ${sql.identifier(table)}`))!.n);

  async function linkWallet(person: Person, account: ReturnType<typeof privateKeyToAccount>): Promise<void> {
    const nonce = await person.client.post("/api/wallets/siwe/nonce");
    expect(nonce.status, nonce.text).to.equal(201);
    const message = createSiweMessage({
      address: account.address,
      uri: platform.url,
      version: "1",
      chainId: nonce.body.chainId,
      nonce: nonce.body.nonce,
      issuedAt: new Date(),
      domain: nonce.body.domain,
      expirationTime: new Date(Date.now() + 60_000),
    });
    const linked = await person.client.post("/api/wallets/link", { message, signature: await account.signMessage({ message }) });
    expect(linked.status, linked.text).to.equal(201);
  }

  it("'key already used': the evidence shows the buyer withdrew and revealed it; the admin rejects; ledger and chain agree", async () => {
    const buyer = await signUp(platform, "withdrawer");
    const wallet = privateKeyToAccount(localChainAccounts.wallet2 as Hex);
    await linkWallet(buyer, wallet);
    const { orderId, entitlementId } = await buyFromShop(platform, setup, buyer, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    const withdrawal = await buyer.client.post("/api/wallets/withdrawals", { entitlementId, wallet: wallet.address });
    expect(withdrawal.status, withdrawal.text).to.equal(202);
    await waitRows(
      platform,
      "the withdrawal on-chain",
      sql`SELECT state FROM wallet_movements WHERE entitlement_id = ${entitlementId} AND direction = 'withdrawal'`,
      (rows: { state: string }[]) => rows[0]?.state === "included",
    );
    // The holder reveals from the wallet (EIP-712), from a phone.
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 300);
    const nonce = BigInt(`0x${randomBytes(16).toString("hex")}`);
    const signature = await wallet.signTypedData({
      domain: revealDomain(chain().chainId, chain().addresses.entitlement),
      types: revealTypes,
      primaryType: "Reveal",
      message: { tokenId, nonce, deadline },
    });
    const revealed = await platform.http.post(
      "/api/wallets/reveal",
      { holder: wallet.address, tokenId: String(tokenId), nonce: String(nonce), deadline: String(deadline), signature },
      { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148" },
    );
    expect(revealed.status, revealed.text).to.equal(200);
    await waitRows(
      platform,
      "the redemption on-chain",
      sql`SELECT redeem_state FROM entitlements WHERE id = ${entitlementId}`,
      (rows: { redeem_state: string | null }[]) => rows[0]?.redeem_state === "included",
    );

    const opened = await buyer.client.post(`/api/orders/${orderId}/disputes`, {
      category: "key_already_used",
      statement: "The code says it was already used.",
      entitlementId,
    });
    expect(opened.status, opened.text).to.equal(201);
    const disputeId = opened.body.id;
    const page = await buyer.client.get(`/api/disputes/${disputeId}`);
    expect(page.status, page.text).to.equal(200);
    const key = page.body.evidence.keys[0];
    expect(key.entitlementId).to.equal(entitlementId);
    expect(key.withdrawn, "withdrawn to a wallet").to.equal(true);
    expect(key.redeemedOnChain?.transactionHash, "the redeem transaction").to.match(/^0x[0-9a-f]{64}$/);
    const redeemTx = await queryOne<{ redeem_tx: string }>(db(), sql`SELECT redeem_tx FROM entitlements WHERE id = ${entitlementId}`);
    expect(key.redeemedOnChain.transactionHash).to.equal(redeemTx!.redeem_tx);
    expect(key.firstView).to.include({ deviceClass: "mobile", channel: "wallet", networkRegion: "127.0.0.0/16" });
    const kinds = key.timeline.map((step: { kind: string }) => step.kind);
    expect(kinds.indexOf("withdrawn"), "withdrawn before redeemed").to.be.greaterThan(-1).and.lessThan(kinds.indexOf("redeemed"));
    expect(page.body.evidence.ledger.map((entry: { kind: string }) => entry.kind)).to.deep.equal(["order_payment"]);
    expect(page.body.evidence.deliveredAt).to.be.a("string");

    // The merchant rejects; the buyer escalates; the merchant answers; the admin decides.
    const rejected = await setup.merchant.post(`/api/disputes/${disputeId}/decision`, { outcome: "reject", reason: "The chain shows the buyer redeemed it." });
    expect(rejected.status, rejected.text).to.equal(200);
    expect(rejected.body).to.include({ state: "rejected", outcome: "rejected", decidedBy: "merchant" });
    const escalated = await buyer.client.post(`/api/disputes/${disputeId}/escalate`, {});
    expect(escalated.status, escalated.text).to.equal(200);
    expect(escalated.body).to.include({ state: "escalated", escalatedBy: "buyer", outcome: null });
    expect((await buyer.client.post(`/api/disputes/${disputeId}/answer`, { answer: "me too" })).status, "the escalating side does not answer").to.equal(403);
    expect((await setup.merchant.post(`/api/disputes/${disputeId}/answer`, { answer: "See the evidence." })).status).to.equal(200);
    const queue = await admin.get("/api/admin/disputes?state=escalated");
    expect(queue.status, queue.text).to.equal(200);
    expect(queue.body.items.map((item: { id: string }) => item.id)).to.include(disputeId);
    const decided = await admin.post(`/api/disputes/${disputeId}/decision`, { outcome: "reject", reason: "Withdrawn and redeemed by the buyer's own wallet." });
    expect(decided.status, decided.text).to.equal(200);
    expect(decided.body).to.include({ state: "resolved", outcome: "rejected", decidedBy: "admin" });

    // The ledger holds only the sale; the chain still shows the buyer's wallet holding the redeemed, unrevoked token.
    expect((await ledgerEntriesOf(orderId)).map((entry) => entry.split(":")[1])).to.deep.equal(["order_payment"]);
    expect((await readToken("ownerOf", tokenId)).toLowerCase()).to.equal(wallet.address.toLowerCase());
    expect(await readToken("locked", tokenId)).to.equal(true);
    expect(await readToken("isRevoked", tokenId)).to.equal(false);
  });

  it("replaces a key end to end: the old token revoked on-chain, the new certificate verifies, the ledger untouched", async () => {
    const buyer = await signUp(platform, "replacer");
    const { orderId, entitlementId } = await buyFromShop(platform, setup, buyer, productId);
    const oldToken = await waitIssued(platform, entitlementId);
    expect((await buyer.client.post(`/api/orders/${orderId}/reveal`, {})).status).to.equal(200);
    const ledgerBefore = await ledgerEntriesOf(orderId);
    const opened = await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "key_invalid", statement: "Invalid code.", entitlementId });
    expect(opened.status, opened.text).to.equal(201);
    const replaced = await setup.merchant.post(`/api/disputes/${opened.body.id}/decision`, { outcome: "replace" });
    expect(replaced.status, replaced.text).to.equal(200);
    expect(replaced.body).to.include({ state: "resolved", outcome: "replaced" });
    expect(replaced.body.replacement.oldEntitlementId).to.equal(entitlementId);
    const newEntitlementId = replaced.body.replacement.newEntitlementId;

    await waitRows(
      platform,
      "the revocation on-chain",
      sql`SELECT state FROM entitlement_revocations WHERE entitlement_id = ${entitlementId}`,
      (rows: { state: string }[]) => rows[0]?.state === "included",
    );
    expect(await readToken("isRevoked", oldToken), "the old token is revoked on-chain").to.equal(true);
    const newToken = await waitIssued(platform, newEntitlementId);
    const keyRow = await queryOne<{ key_id: string }>(db(), sql`SELECT key_id::text AS key_id FROM entitlements WHERE id = ${newEntitlementId}`);
    const certificate = await waitFor("the new key's certificate with its issuance", async () => {
      const response = await buyer.client.get(`/api/orders/${orderId}/keys/${keyRow!.key_id}/certificate`);
      return response.status === 200 && response.body.issuance?.tokenId ? response.body : undefined;
    });
    expect(certificate.issuance.tokenId).to.equal(String(newToken));
    // Verified outside the platform's verifier: the OpenZeppelin library and the contracts.
    expect(StandardMerkleTree.verify(certificate.batch.root, certificate.leaf.types, certificate.leaf.values, certificate.proof)).to.equal(true);
    const anchored = await chain().publicClient.readContract({
      address: certificate.chain.registry,
      abi: keyRegistryAbi,
      functionName: "rootOf",
      args: [BigInt(certificate.batch.id)],
    } as never);
    expect(anchored).to.equal(certificate.batch.root);
    expect(await readToken("isRevoked", newToken)).to.equal(false);
    // A replacement posts nothing (docs/disputes.md: no fee).
    expect(await ledgerEntriesOf(orderId)).to.deep.equal(ledgerBefore);
    const evidence = (await buyer.client.get(`/api/disputes/${opened.body.id}`)).body.evidence;
    expect(evidence.keys.find((item: { entitlementId: string }) => item.entitlementId === entitlementId).revoked).to.equal(true);
  });

  it("shows in the evidence the same code sold by another shop", async () => {
    const buyer = await signUp(platform, "samecode");
    const { orderId, entitlementId } = await buyFromShop(platform, setup, buyer, productId);
    const revealed = await buyer.client.post(`/api/orders/${orderId}/reveal`, {});
    const code: string = revealed.body.items[0].code;
    expect(code).to.match(/^DSP/);
    // Another merchant imports the very same code and sells it.
    const other = await setupMerchant(platform);
    const copied = await createProduct(other, { name: "Copied card", priceMinor: "700", resaleAllowed: true });
    await importKeys(other, copied, [code]);
    await buyFromShop(platform, other, await signUp(platform, "copybuyer"), copied);
    const opened = await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "key_already_used", statement: "Someone used it.", entitlementId });
    expect(opened.status, opened.text).to.equal(201);
    const evidence = (await buyer.client.get(`/api/disputes/${opened.body.id}`)).body.evidence;
    expect(evidence.keys[0].sameCodeElsewhere).to.deep.equal([{ shopId: other.shopId, entitlementState: "sealed", redeemedOnChain: false }]);
  });

  it("refuses a replacement on empty stock with an offer to refund, writing nothing", async () => {
    const single = await createProduct(setup, { name: "Last card", priceMinor: "500", resaleAllowed: true });
    await importKeys(setup, single, randomKeys(1, "ONE"));
    const buyer = await signUp(platform, "laststock");
    const { orderId } = await buyFromShop(platform, setup, buyer, single);
    // The sale's ledger entry is posted by the payment outbox, possibly after delivery: the refund offer reads it.
    await waitFor("the sale's ledger entry", async () => ((await ledgerEntriesOf(orderId)).length === 1 ? true : undefined));
    const opened = await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "key_invalid", statement: "Does not work." });
    const revocations = await countRows("entitlement_revocations");
    const refused = await setup.merchant.post(`/api/disputes/${opened.body.id}/decision`, { outcome: "replace" });
    expect(refused.status, refused.text).to.equal(409);
    expect(refused.body.code).to.equal("replacement_out_of_stock");
    expect(refused.body.details).to.deep.equal({ refundOffered: true, refundableMinor: "500" });
    expect(await countRows("entitlement_revocations")).to.equal(revocations);
    expect((await buyer.client.get(`/api/disputes/${opened.body.id}`)).body.dispute.state).to.equal("open");
  });

  it("refunds in part, then the rest, then refuses a third; balances exact; bad inputs write nothing", async () => {
    const buyer = await signUp(platform, "refunds");
    const { orderId } = await buyFromShop(platform, setup, buyer, productId);
    const shopId = setup.shopId;
    // Paid 10,000 on the shop's own gateway, fee 500 bps: collected +10,000, fee_receivable -500.
    expect(platform.ctx.config.orders.platformFeeBps).to.equal(500);
    // The sale's entry is posted by the group commit after the payment: the balances are read once it is in.
    await waitFor("the sale's ledger entry", async () => ((await ledgerEntriesOf(orderId)).length === 1 ? true : undefined));
    const collected0 = await accountBalance("shop", shopId, "collected");
    const receivable0 = await accountBalance("shop", shopId, "fee_receivable");
    const fees0 = await accountBalance("platform", 0n, "fees");

    // Bad input first: someone who cannot see the order gets not_found, and nothing is written.
    const stranger = await signUp(platform, "stranger");
    const disputes0 = await countRows("disputes");
    const hidden = await stranger.client.post(`/api/orders/${orderId}/disputes`, { category: "other", statement: "not mine" });
    expect(hidden.status).to.equal(404);
    expect(hidden.body.code).to.equal("not_found");
    expect(await countRows("disputes")).to.equal(disputes0);

    const first = await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "key_invalid", statement: "Only part works." });
    expect(first.status, first.text).to.equal(201);
    expect((await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "other", statement: "again" })).body.code).to.equal("dispute_already_open");
    const entries0 = await countRows("ledger_transactions");
    const tooMuch = await setup.merchant.post(`/api/disputes/${first.body.id}/decision`, { outcome: "refund", amountMinor: "10001" });
    expect(tooMuch.status).to.equal(422);
    expect(tooMuch.body.code).to.equal("refund_exceeds_paid");
    expect(await countRows("ledger_transactions")).to.equal(entries0);
    const part = await setup.merchant.post(`/api/disputes/${first.body.id}/decision`, { outcome: "refund", amountMinor: "3000" });
    expect(part.status, part.text).to.equal(200);
    expect(part.body.refunds).to.have.length(1);
    expect(part.body.refunds[0]).to.include({ amountMinor: "3000", channel: "merchant_gateway" });
    // 3,000 back: fee share floor(500 x 3000 / 10000) = 150.
    expect(await accountBalance("shop", shopId, "collected")).to.equal(collected0 - 3000n);
    expect(await accountBalance("shop", shopId, "fee_receivable")).to.equal(receivable0 + 150n);
    expect(await accountBalance("platform", 0n, "fees")).to.equal(fees0 - 150n);

    const second = await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "key_invalid", statement: "The rest does not work either." });
    expect(second.status, second.text).to.equal(201);
    const overRemaining = await setup.merchant.post(`/api/disputes/${second.body.id}/decision`, { outcome: "refund", amountMinor: "7001" });
    expect(overRemaining.status).to.equal(409);
    expect(overRemaining.body.code).to.equal("refund_exceeds_remaining");
    expect(overRemaining.body.details).to.deep.equal({ paidMinor: "10000", remainingMinor: "7000" });
    const rest = await setup.merchant.post(`/api/disputes/${second.body.id}/decision`, { outcome: "refund", amountMinor: "7000" });
    expect(rest.status, rest.text).to.equal(200);
    // 7,000 more: fee share floor(500 x 7000 / 10000) = 350; the order is back to zero.
    expect(await accountBalance("shop", shopId, "collected")).to.equal(collected0 - 10_000n);
    expect(await accountBalance("shop", shopId, "fee_receivable")).to.equal(receivable0 + 500n);
    expect(await accountBalance("platform", 0n, "fees")).to.equal(fees0 - 500n);
    expect((await queryOne<{ state: string }>(db(), sql`SELECT state FROM orders WHERE id = ${orderId}`))!.state).to.equal("refunded");

    const third = await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "other", statement: "One more." });
    expect(third.status, third.text).to.equal(201);
    const entries1 = await countRows("ledger_transactions");
    const refunds1 = await countRows("dispute_refunds");
    const nothingLeft = await setup.merchant.post(`/api/disputes/${third.body.id}/decision`, { outcome: "refund", amountMinor: "1" });
    expect(nothingLeft.status).to.equal(409);
    expect(nothingLeft.body.code).to.equal("refund_exceeds_remaining");
    expect(await countRows("ledger_transactions")).to.equal(entries1);
    expect(await countRows("dispute_refunds")).to.equal(refunds1);
  });

  it("decides for the escalating buyer when the merchant does not answer by the deadline (the disputes job, controlled clock); later escalation is refused", async () => {
    const buyer = await signUp(platform, "deadline");
    const { orderId } = await buyFromShop(platform, setup, buyer, productId);
    const opened = await buyer.client.post(`/api/orders/${orderId}/disputes`, { category: "not_received", statement: "Nothing arrived." });
    const escalated = await buyer.client.post(`/api/disputes/${opened.body.id}/escalate`, {});
    expect(escalated.status, escalated.text).to.equal(200);
    const answerDeadline = new Date(escalated.body.answerDeadline).getTime();
    // One second before the deadline the job decides nothing; one second after, it refunds in full.
    const before = await platform.ctx.queues.maintenance.add("disputes", { now: new Date(answerDeadline - 1000).toISOString() });
    await waitFor("the sweep before the deadline", async () => ((await before.getState()) === "completed" ? true : undefined));
    expect((await buyer.client.get(`/api/disputes/${opened.body.id}`)).body.dispute.state).to.equal("escalated");
    await platform.ctx.queues.maintenance.add("disputes", { now: new Date(answerDeadline + 1000).toISOString() });
    const decided = await waitFor("the deadline's decision", async () => {
      const page = await buyer.client.get(`/api/disputes/${opened.body.id}`);
      return page.body.dispute.state === "resolved" ? page.body.dispute : undefined;
    });
    expect(decided).to.include({ outcome: "refunded", decidedBy: "deadline" });
    expect(decided.refunds.map((refund: { amountMinor: string }) => refund.amountMinor)).to.deep.equal(["10000"]);
    const late = await setup.merchant.post(`/api/disputes/${opened.body.id}/answer`, { answer: "Too late." });
    expect(late.status).to.equal(409);

    // Escalation after the escalation deadline: the clock is moved past it in the row itself.
    const other = await signUp(platform, "late-escalation");
    const bought = await buyFromShop(platform, setup, other, productId);
    const second = await other.client.post(`/api/orders/${bought.orderId}/disputes`, { category: "other", statement: "Hm." });
    await db().execute(sql`UPDATE disputes SET escalation_deadline = now() - interval '1 second' WHERE id = ${second.body.id}`);
    const refused = await other.client.post(`/api/disputes/${second.body.id}/escalate`, {});
    expect(refused.status).to.equal(409);
    expect(refused.body.code).to.equal("escalation_closed");
    expect((await other.client.get(`/api/disputes/${second.body.id}`)).body.dispute.state).to.equal("open");
  });

  it("shows a shop's reputation from its disputes and refunds", async () => {
    const reputation = await platform.http.get(`/api/shops/${setup.shopId}/reputation`);
    expect(reputation.status, reputation.text).to.equal(200);
    const paid = Number(
      (await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM orders WHERE shop_id = ${setup.shopId} AND paid_at IS NOT NULL`))!.n,
    );
    const disputed = Number(
      (await queryOne<{ n: string }>(db(), sql`SELECT count(DISTINCT order_id)::text AS n FROM disputes WHERE shop_id = ${setup.shopId}`))!.n,
    );
    expect(reputation.body.paidOrders).to.equal(paid);
    expect(reputation.body.disputeRateBps).to.equal(Math.floor((disputed * 10_000) / paid));
    expect(reputation.body.firstReplyMedianSeconds).to.equal(null);
    expect((await platform.http.get("/api/shops/999999/reputation")).status).to.equal(404);
  });
});
