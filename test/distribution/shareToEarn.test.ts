// Share-to-earn (docs/distribution.md, "Share-to-earn") over real HTTP, PostgreSQL and the ledger:
// buyer A shares a product with its personal link (?ref=<A's code>), buyer B signs up, follows
// the link (the attachment the product page makes) and buys; A's first-level commission is
// worked out here by hand from the price, the platform fee and the rate, and read back through
// GET /api/agent/overview, the API A's "My earnings" page shows. A following its own link is
// refused (referral_loop) and its own purchase writes nothing to its earnings.
import { expect } from "chai";
import { queryOne, queryRows, sql, type Drizzle } from "../../core/store/database.ts";
import { acceptCarefully } from "../../api/services/orders/acceptPayment.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, type HttpClient } from "../support/platform.ts";

type Member = { http: HttpClient; id: string; code: string; email: string };

const feeBps = 500n;

describe("share-to-earn: a buyer's personal product link pays it the first-level commission", function () {
  this.timeout(180_000);
  const suite = usePlatform({ env: { PLATFORM_FEE_BPS: String(feeBps) } });
  const db = () => suite.platform.database.db as Drizzle;
  let shop: MerchantSetup;
  let sharedProduct: string;
  let plainProduct: string;
  let sharer: Member;
  let friend: Member;

  async function member(label: string): Promise<Member> {
    const email = `${label}-${Date.now()}@example.com`;
    const signup = await suite.platform.http.post("/api/auth/signup", { email, password: `${label}-password-1` });
    expect(signup.status, signup.text).to.equal(201);
    const http = suite.platform.http.as(signup.body.token);
    const overview = await http.get("/api/agent/overview");
    expect(overview.status, overview.text).to.equal(200);
    return { http, id: signup.body.account.id, code: overview.body.referralCode, email };
  }

  async function buyAndPay(buyer: Member, productId: string, reference: string): Promise<{ id: string; amountMinor: string }> {
    const placed = await buyer.http.post("/api/orders", { productId, quantity: 1, paymentMethod: "chain" });
    expect(placed.status, placed.text).to.equal(201);
    const order = placed.body.order;
    const { outcome } = await acceptCarefully(
      db(),
      { platformFeeBps: Number(feeBps) },
      { orderId: order.id, provider: "chain", providerRef: reference, amountMinor: BigInt(order.amountMinor), currency: "CNY" },
    );
    expect(outcome).to.equal("accepted");
    return order;
  }

  async function distributorRows(accountId: string): Promise<string[]> {
    const rows = await queryRows<{ row: string }>(
      db(),
      sql`SELECT a.purpose || '=' || a.balance_minor::text AS row FROM ledger_accounts a WHERE a.owner_type = 'distributor' AND a.owner_id = ${accountId} ORDER BY a.purpose`,
    );
    return rows.map((entry) => entry.row);
  }

  before(async () => {
    shop = await setupMerchant(suite.platform);
    // Manual delivery: the sale's money is under test, not the keys.
    sharedProduct = await createProduct(shop, { name: "Shared card", deliveryMode: "manual", priceMinor: "1999" });
    plainProduct = await createProduct(shop, { name: "Plain card", deliveryMode: "manual", priceMinor: "500" });
    const shopRates = await shop.merchant.put(`/api/shops/${shop.shopId}/commission-rates`, { levelsBps: [1000, 200, 0] });
    expect(shopRates.status, shopRates.text).to.equal(200);
    const override = await shop.merchant.put(`/api/shops/${shop.shopId}/commission-rates`, { productId: sharedProduct, levelsBps: [1537, 0, 0] });
    expect(override.status, override.text).to.equal(200);
    sharer = await member("sharer");
    friend = await member("friend");
  });

  it("the product page's public read shows the first-level rate: the product's override, else the shop's", async () => {
    const shared = await suite.platform.http.get(`/api/products/${sharedProduct}/share-commission`);
    expect(shared.status, shared.text).to.equal(200);
    expect(shared.body).to.deep.equal({ productId: sharedProduct, shopId: shop.shopId, level1Bps: 1537, docked: false });
    const plain = await suite.platform.http.get(`/api/products/${plainProduct}/share-commission`);
    expect(plain.body.level1Bps).to.equal(1000);
    const unknown = await suite.platform.http.get("/api/products/987654321/share-commission");
    expect([unknown.status, unknown.body.code]).to.deep.equal([404, "not_found"]);
  });

  it("a friend who follows the link and buys pays the sharer floor(net x rate), visible in the sharer's earnings", async () => {
    // The product page attaches a signed-in visitor of /product/<id>?ref=<code> (web/src/distribution/referralLinks.ts).
    const attached = await friend.http.post(`/api/shops/${shop.shopId}/referrals`, { code: sharer.code });
    expect([attached.status, attached.body.attached, attached.body.referrerAccountId], attached.text).to.deep.equal([200, true, sharer.id]);

    const order = await buyAndPay(friend, sharedProduct, "0xshare1");
    expect(order.amountMinor).to.equal("1999");
    // By hand (every division rounds down, docs/distribution.md "The split of a sale"):
    // fee F = floor(1999 x 500 / 10000) = floor(99.95) = 99; merchant's net N = 1999 - 99 = 1900;
    // level 1 at 15.37%: floor(1900 x 1537 / 10000) = floor(292.03) = 292.
    const price = 1999n;
    const fee = (price * feeBps) / 10_000n;
    const commission = ((price - fee) * 1537n) / 10_000n;
    expect(commission).to.equal(292n);

    const posted = await queryOne<{ amount: string }>(
      db(),
      sql`SELECT p.amount_minor::text AS amount FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.idempotency_key = ${`order:${order.id}:payment`} AND a.owner_type = 'distributor' AND a.owner_id = ${sharer.id} AND a.purpose = 'holds'`,
    );
    expect(posted?.amount).to.equal(String(commission));

    const overview = await sharer.http.get("/api/agent/overview");
    expect(overview.status, overview.text).to.equal(200);
    expect(overview.body.balances).to.deep.equal([{ currency: "CNY", heldMinor: String(commission), payableMinor: "0", payoutPendingMinor: "0" }]);
    expect(overview.body.earnings.map((row: { orderId: string; amountMinor: string }) => [row.orderId, row.amountMinor])).to.deep.equal([
      [order.id, String(commission)],
    ]);
    // The friend appears masked: first and last character of the local part, never the whole address.
    const masked = `${friend.email[0]}***${friend.email.slice(friend.email.indexOf("@") - 1)}`;
    expect(overview.body.referredBuyers.map((row: { buyer: string }) => row.buyer)).to.deep.equal([masked]);
    expect(JSON.stringify(overview.body)).not.to.contain(friend.email);
  });

  it("the sharer following its own link is refused with referral_loop and its own purchase earns nothing", async () => {
    const attachmentsBefore = await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM referral_attachments`);
    const before = await sharer.http.get("/api/agent/overview");
    const refused = await sharer.http.post(`/api/shops/${shop.shopId}/referrals`, { code: sharer.code });
    expect([refused.status, refused.body.code], refused.text).to.deep.equal([422, "referral_loop"]);
    expect(refused.body.message).to.be.a("string").and.not.be.empty;
    const attachmentsAfter = await queryOne<{ n: string }>(db(), sql`SELECT count(*)::text AS n FROM referral_attachments`);
    expect(attachmentsAfter?.n).to.equal(attachmentsBefore?.n);

    const balancesBefore = await distributorRows(sharer.id);
    const own = await buyAndPay(sharer, sharedProduct, "0xshare-self");
    const legs = await queryOne<{ n: string }>(
      db(),
      sql`SELECT count(*)::text AS n FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id JOIN ledger_accounts a ON a.id = p.account_id
          WHERE t.idempotency_key = ${`order:${own.id}:payment`} AND a.owner_type = 'distributor'`,
    );
    expect(legs?.n).to.equal("0");
    expect(await distributorRows(sharer.id)).to.deep.equal(balancesBefore);
    const after = await sharer.http.get("/api/agent/overview");
    expect(after.body.balances).to.deep.equal(before.body.balances);
    expect(after.body.earnings).to.deep.equal(before.body.earnings);
  });
});
