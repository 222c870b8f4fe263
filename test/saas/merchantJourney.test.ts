// A new merchant from sign-up to first sale to first payout, through the real HTTP API (docs/saas.md):
// the email is confirmed from the mail a local SMTP server received, the custom domain is proved
// against a local DNS server, each limit of an unverified shop is met (refused with its code,
// nothing written) and passed after KYC approval, and the fee of each sale follows the plan the
// shop had when the order was created. Expected figures are worked out by hand in the comments.
import { request as httpRequest } from "node:http";
import { expect } from "chai";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { paymentRouterAbi } from "../../core/chain/abis.ts";
import { newSandboxMerchant } from "../../api/payments/epaySandbox.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { randomKeys } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { startSmtpServer } from "../support/smtpServer.ts";
import { createStaffAccount, type StaffAccount } from "../support/staff.ts";
import { startDnsServer, type TestDnsServer } from "./dnsServer.ts";

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("fake-png-body")]);
const pdf = Buffer.from("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n");
const html = Buffer.from("<html><script>alert(1)</script></html>");

/** The token of a mailed confirmation link (the body is quoted-printable: soft line breaks, "=" as "=3D"). */
function tokenFromMail(data: string): string {
  const text = data.replace(/=\r\n/g, "").replace(/=3D/g, "=");
  return /confirm-email#token=([A-Za-z0-9_-]+)/.exec(text)![1]!;
}

describe("self-service merchant: sign-up to first payout, limits, KYC, plans (HTTP, PostgreSQL, Redis, chain, SMTP, DNS)", function () {
  this.timeout(600_000);
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let dns: TestDnsServer;
  let admin: StaffAccount;
  before(async () => {
    smtp = await startSmtpServer();
    dns = await startDnsServer();
    platform = await startTestPlatform({
      env: { SAAS_LIMITS_ENFORCED: "true", SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, DNS_SERVERS: `127.0.0.1:${dns.port}`, INDEXER_FINALITY_DEPTH: "1" },
    });
    admin = await createStaffAccount(platform, "saas-admin", ["admin"]);
  });
  after(async () => {
    await platform?.stopAll();
    await smtp?.stop();
    await dns?.stop();
  });

  const count = async (table: string, where = sql`true`) =>
    Number((await queryOne<{ n: string }>(platform.database.db, sql`SELECT count(*) AS n FROM ${sql.identifier(table)} WHERE ${where}`))!.n);
  const upload = (client: HttpClient, method: string, path: string, bytes: Buffer, contentType: string) =>
    fetch(client.baseUrl + path, {
      method,
      body: new Uint8Array(bytes),
      headers: { authorization: `Bearer ${client.token}`, "content-type": contentType },
    }).then(async (response) => ({
      status: response.status,
      body: await response.json().catch(() => undefined),
    }));
  async function signUp(label: string): Promise<{ client: HttpClient; email: string }> {
    const email = `${label}-${Date.now()}@example.com`;
    const signup = await platform.http.post("/api/auth/signup", { email, password: "merchant-password-1", roles: ["merchant"], locale: "en" });
    expect(signup.status, signup.text).to.equal(201);
    return { client: platform.http.as(signup.body.token), email };
  }
  async function confirmByMail(client: HttpClient, email: string): Promise<void> {
    const before = smtp.messages.length;
    const sent = await client.post("/api/account/email-confirmation");
    expect(sent.status, sent.text).to.equal(202);
    const mail = await waitFor("the confirmation mail", async () => smtp.messages.slice(before).find((message) => message.to.join().includes(email)));
    const token = tokenFromMail(mail.data);
    const confirmed = await platform.http.post("/api/auth/confirm-email", { token });
    expect(confirmed.status, confirmed.text).to.equal(200);
  }

  it("runs the whole journey", async () => {
    const { client: merchant, email } = await signUp("journey");
    const slug = `journey-${Date.now().toString(36)}`;

    // --- Email confirmation before the shop opens --------------------------------------------
    const early = await merchant.post("/api/shops", { slug, name: "Journey" });
    expect(early.status, early.text).to.equal(403);
    expect(early.body.code).to.equal("email_unconfirmed");
    expect(await count("shops", sql`slug = ${slug}`)).to.equal(0);
    const sent = await merchant.post("/api/account/email-confirmation");
    expect(sent.status).to.equal(202);
    const mail = await waitFor("the confirmation mail", async () => smtp.messages.find((message) => message.to.join().includes(email)));
    expect(mail.data).to.match(/Subject: Confirm your Keyledger email/);
    const token = tokenFromMail(mail.data);
    expect((await platform.http.post("/api/auth/confirm-email", { token: "x".repeat(43) })).body.code).to.equal("confirmation_invalid");
    expect((await platform.http.post("/api/auth/confirm-email", { token })).status).to.equal(200);
    const reused = await platform.http.post("/api/auth/confirm-email", { token });
    expect(reused.status).to.equal(410);
    expect(reused.body.code).to.equal("confirmation_invalid");

    // --- The shop, its profile and logo -----------------------------------------------------------
    const shop = await merchant.post("/api/shops", { slug, name: "Journey" });
    expect(shop.status, shop.text).to.equal(201);
    const shopId = shop.body.id as string;
    const { client: rival, email: rivalEmail } = await signUp("rival");
    await confirmByMail(rival, rivalEmail);
    const taken = await rival.post("/api/shops", { slug, name: "Copy" });
    expect(taken.status).to.equal(409);
    expect(await count("shops", sql`slug = ${slug}`)).to.equal(1);
    const rivalShop = await rival.post("/api/shops", { slug: `${slug}-r`, name: "Rival" });
    expect(rivalShop.status, rivalShop.text).to.equal(201);
    const profile = await merchant.put(`/api/shops/${shopId}/profile`, {
      colour: "#12ab34",
      descriptionZh: "游戏点卡",
      descriptionEn: "Game cards",
      supportContact: "help@journey.example",
    });
    expect(profile.status, profile.text).to.equal(200);
    expect(profile.body).to.include({ colour: "#12ab34", descriptionZh: "游戏点卡", verificationLevel: "unverified", plan: "free" });
    const lyingLogo = await upload(merchant, "PUT", `/api/shops/${shopId}/logo`, html, "image/png");
    expect(lyingLogo.status).to.equal(415);
    expect(lyingLogo.body.code).to.equal("document_type_refused");
    expect(await count("shops", sql`id = ${BigInt(shopId)} AND logo IS NOT NULL`)).to.equal(0);
    expect((await upload(merchant, "PUT", `/api/shops/${shopId}/logo`, png, "image/png")).status).to.equal(200);
    const logo = await fetch(`${platform.url}/api/shops/${shopId}/logo`);
    expect(logo.headers.get("content-type")).to.equal("image/png");
    expect(Buffer.from(await logo.arrayBuffer()).equals(png)).to.equal(true);

    // --- Custom domain, proved through the local DNS server -------------------------------------
    const domain = `${slug}.shops.example`;
    const claim = await merchant.put(`/api/shops/${shopId}/domain`, { domain });
    expect(claim.status, claim.text).to.equal(200);
    const unproved = await merchant.post(`/api/shops/${shopId}/domain/verify`);
    expect(unproved.status).to.equal(422);
    expect(unproved.body.code).to.equal("domain_unproved");
    dns.txt.set(claim.body.domainTxtName, ["some-other=value"]);
    expect((await merchant.post(`/api/shops/${shopId}/domain/verify`)).body.code).to.equal("domain_unproved");
    dns.txt.set(claim.body.domainTxtName, ["some-other=value", claim.body.domainTxtValue]);
    const proved = await merchant.post(`/api/shops/${shopId}/domain/verify`);
    expect(proved.status, proved.text).to.equal(200);
    expect(proved.body.domainVerifiedAt).to.be.a("string");
    expect(dns.queries).to.include(claim.body.domainTxtName);
    const stolen = await rival.put(`/api/shops/${rivalShop.body.id}/domain`, { domain });
    expect(stolen.status).to.equal(409);
    expect(stolen.body.code).to.equal("domain_taken");
    const hostAnswer = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const url = new URL(platform.url);
      httpRequest({ host: url.hostname, port: url.port, path: "/api/storefront/host", headers: { host: domain } }, (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, location: JSON.parse(text).slug }));
      })
        .on("error", reject)
        .end();
    });
    expect(hostAnswer).to.deep.equal({ status: 200, location: slug });

    // --- Products within the free plan (10) -------------------------------------------------------
    const sandbox = newSandboxMerchant(platform.ctx.config.payments.epaySandboxSecret!);
    expect((await merchant.put(`/api/shops/${shopId}/payment-settings/epay`, { gatewayUrl: `${platform.url}/sandbox/epay/`, ...sandbox })).status).to.equal(
      204,
    );
    const cny = await merchant.post(`/api/shops/${shopId}/products`, {
      name: "Card",
      category: "game_card",
      priceMinor: "20000",
      currency: "CNY",
      quantityMax: 10,
    });
    expect(cny.status, cny.text).to.equal(201);
    const eth = await merchant.post(`/api/shops/${shopId}/products`, {
      name: "Chain card",
      category: "game_card",
      priceMinor: "300000000000000",
      currency: "ETH",
      quantityMax: 2,
    });
    expect(eth.status, eth.text).to.equal(201);
    for (let index = 3; index <= 10; index += 1) {
      expect(
        (await merchant.post(`/api/shops/${shopId}/products`, { name: `P${index}`, category: "game_card", priceMinor: "100", currency: "CNY" })).status,
      ).to.equal(201);
    }
    const eleventh = await merchant.post(`/api/shops/${shopId}/products`, { name: "P11", category: "game_card", priceMinor: "100", currency: "CNY" });
    expect(eleventh.status).to.equal(409);
    expect(eleventh.body.code).to.equal("plan_limit_exceeded");
    expect(eleventh.body.details).to.include({ limit: "products", max: 10, used: 10 });
    expect(await count("products", sql`shop_id = ${BigInt(shopId)}`)).to.equal(10);

    // --- Keys in stock: unverified holds at most 100 ------------------------------------------------
    const tooMany = await merchant.request("POST", `/api/products/${cny.body.id}/imports`, randomKeys(101).join("\n"), { "content-type": "text/plain" });
    expect(tooMany.status, tooMany.text).to.equal(422);
    expect(tooMany.body.code).to.equal("stock_limit_exceeded");
    expect(await count("imports", sql`product_id = ${BigInt(cny.body.id)}`)).to.equal(0);
    const anchored = async (productId: string, keys: number) => {
      const imported = await merchant.request("POST", `/api/products/${productId}/imports`, randomKeys(keys).join("\n"), { "content-type": "text/plain" });
      expect(imported.status, imported.text).to.equal(202);
      await waitFor("anchored", async () => ((await platform.http.get(`/api/products/${productId}`)).body.stock >= keys ? true : undefined), 120_000, 250);
    };
    await anchored(cny.body.id, 6);
    await anchored(eth.body.id, 2);

    // --- First sale (CNY, the shop's own gateway) and the daily sales limit (unverified: 50,000) ----
    const buy = (productId: string, quantity: number, paymentMethod = "epay") =>
      platform.http.post("/api/orders", { productId, quantity, contact: "buyer@example.com", queryPassword: "buyer-pass-1", paymentMethod });
    const payEpay = async (order: { id: string; amountMinor: string }) =>
      expect((await platform.http.get(notifyPath(shopId, signedNotification(sandbox, order, `T${order.id}`)))).text).to.equal("success");
    const first = await buy(cny.body.id, 1);
    expect(first.status, first.text).to.equal(201);
    await payEpay(first.body.order);
    const overDaily = await buy(cny.body.id, 2); // 20,000 today + 40,000 > 50,000
    expect(overDaily.status, overDaily.text).to.equal(422);
    expect(overDaily.body.code).to.equal("sales_limit_exceeded");
    expect(await count("orders", sql`shop_id = ${BigInt(shopId)}`)).to.equal(1);

    // --- A platform-collected sale (chain) and the first payout ------------------------------------
    // Make the sale's proceeds payable at once (after-sales window of game cards: 0).
    expect((await admin.http.put("/api/admin/after-sales-windows/game_card", { windowSeconds: 0 })).status).to.be.oneOf([200, 204]);
    const chainOrder = await buy(eth.body.id, 1, "chain");
    expect(chainOrder.status, chainOrder.text).to.equal(201);
    const payment = chainOrder.body.payment;
    const account = privateKeyToAccount(localChainAccounts.wallet3);
    const transport = http(platform.rpcUrl);
    const publicClient = createPublicClient({ transport });
    const chain = {
      id: await publicClient.getChainId(),
      name: "local",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [platform.rpcUrl] } },
    };
    const wallet = createWalletClient({ account, chain, transport });
    const hash = await wallet.writeContract({
      address: payment.paymentAddress as Hex,
      abi: paymentRouterAbi,
      functionName: "payNative",
      args: [payment.orderRef as Hex],
      value: BigInt(payment.amountMinor),
    });
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
    // Payable: 300,000,000,000,000 - 5% (15,000,000,000,000) = 285,000,000,000,000.
    await waitFor(
      "the chain sale's payable",
      async () => {
        const balance = await merchant.get(`/api/ledger/shops/${shopId}/balance`);
        return JSON.stringify(balance.body).includes("285000000000000") ? true : undefined;
      },
      180_000,
      500,
    );
    // The after-sales window (0 s) holds the proceeds until the maintenance sweep releases them.
    await waitFor(
      "the sale's proceeds released",
      async () =>
        (await count(
          "order_proceeds_holds",
          sql`order_id = ${chainOrder.body.order.id} AND hold_id IN (SELECT id FROM ledger_holds WHERE state <> 'pending')`,
        )) === 1 || undefined,
      120_000,
      500,
    );
    const holdsBefore = await count("ledger_holds");
    const bigPayout = await merchant.post(`/api/ledger/shops/${shopId}/payouts`, { amountMinor: "285000000000000", currency: "ETH" });
    expect(bigPayout.status, bigPayout.text).to.equal(422); // unverified: at most 200,000,000,000,000 per payout
    expect(bigPayout.body.code).to.equal("payout_limit_exceeded");
    expect(bigPayout.body.details.limit).to.equal("amount");
    expect(await count("ledger_holds")).to.equal(holdsBefore);
    const firstPayout = await merchant.post(`/api/ledger/shops/${shopId}/payouts`, { amountMinor: "100000000000000", currency: "ETH" });
    expect(firstPayout.status, firstPayout.text).to.equal(201);
    const secondPayout = await merchant.post(`/api/ledger/shops/${shopId}/payouts`, { amountMinor: "50000000000000", currency: "ETH" });
    expect(secondPayout.status).to.equal(422); // unverified: one payout a day
    expect(secondPayout.body.details.limit).to.equal("frequency");
    expect(await count("ledger_holds")).to.equal(holdsBefore + 1);

    // --- KYC: documents checked by content, the review queue, approval ------------------------------
    const submission = await merchant.post(`/api/shops/${shopId}/kyc`, {
      levelRequested: "verified",
      details: { legalName: "Zhang San", idNumber: "110101199003070000", country: "CN", address: "1 Chang'an Ave, Beijing" },
    });
    expect(submission.status, submission.text).to.equal(201);
    const submissionId = submission.body.id as string;
    const secondSubmission = await merchant.post(`/api/shops/${shopId}/kyc`, {
      levelRequested: "business",
      details: { legalName: "X", idNumber: "1", country: "CN", address: "Y" },
    });
    expect(secondSubmission.body.code).to.equal("kyc_already_open");
    const documents = `/api/shops/${shopId}/kyc/${submissionId}/documents?kind=identity`;
    for (const [bytes, type] of [
      [html, "application/pdf"],
      [pdf, "image/png"],
      [Buffer.from("GIF89a...."), "application/octet-stream"],
    ] as const) {
      const refused = await upload(merchant, "POST", documents, bytes, type);
      expect(refused.status).to.equal(415);
      expect(refused.body.code).to.equal("document_type_refused");
    }
    expect(await count("kyc_documents")).to.equal(0);
    expect((await upload(merchant, "POST", documents, pdf, "application/pdf")).status).to.equal(201);
    const stored = await queryOne<{ content_encrypted: Buffer; details_encrypted: Buffer }>(
      platform.database.db,
      sql`SELECT d.content_encrypted, k.details_encrypted FROM kyc_documents d JOIN kyc_submissions k ON k.id = d.submission_id`,
    );
    expect(Buffer.from(stored!.content_encrypted).includes(Buffer.from("%PDF"))).to.equal(false);
    expect(Buffer.from(stored!.details_encrypted).includes(Buffer.from("Zhang San"))).to.equal(false);

    const notReviewer = await admin.http.get("/api/admin/kyc");
    expect(notReviewer.status).to.equal(403);
    expect((await merchant.get("/api/admin/kyc")).status).to.equal(403);
    expect((await admin.http.put(`/api/admin/kyc-reviewers/${admin.id}`)).status).to.equal(204);
    const queue = await admin.http.get("/api/admin/kyc");
    expect(queue.body.items.map((item: { id: string }) => item.id)).to.deep.equal([submissionId]);
    const viewsBefore = await count("audit_log", sql`action = 'kyc.viewed'`);
    const review = await admin.http.get(`/api/admin/kyc/${submissionId}`);
    expect(review.body.details.legalName).to.equal("Zhang San");
    expect(await count("audit_log", sql`action = 'kyc.viewed'`)).to.equal(viewsBefore + 1);
    const document = await fetch(`${platform.url}/api/admin/kyc/${submissionId}/documents/${review.body.documents[0].id}`, {
      headers: { authorization: `Bearer ${admin.http.token}` },
    });
    expect(Buffer.from(await document.arrayBuffer()).equals(pdf)).to.equal(true);
    expect(await count("audit_log", sql`action = 'kyc.document_viewed'`)).to.equal(1);

    const more = await admin.http.post(`/api/admin/kyc/${submissionId}/decision`, { decision: "request_more", reason: "The photo of the ID card is missing." });
    expect(more.body.status).to.equal("more_requested");
    const early2 = await admin.http.post(`/api/admin/kyc/${submissionId}/decision`, { decision: "approve", reason: "ok" });
    expect(early2.status).to.equal(409);
    expect((await upload(merchant, "POST", documents, png, "image/png")).body.status).to.equal("pending");
    const approved = await admin.http.post(`/api/admin/kyc/${submissionId}/decision`, { decision: "approve", reason: "Identity checked." });
    expect(approved.status, approved.text).to.equal(200);
    const history = await merchant.get(`/api/shops/${shopId}/kyc`);
    expect(history.body.items[0].decisions.map((entry: { decision: string; reason: string }) => [entry.decision, entry.reason])).to.deep.equal([
      ["request_more", "The photo of the ID card is missing."],
      ["approve", "Identity checked."],
    ]);
    expect((await merchant.get(`/api/shops/${shopId}/profile`)).body.verificationLevel).to.equal("verified");

    // --- The same limits, passed once verified -----------------------------------------------------
    expect((await merchant.post(`/api/ledger/shops/${shopId}/payouts`, { amountMinor: "50000000000000", currency: "ETH" })).status).to.equal(201);
    const bigger = await buy(cny.body.id, 2);
    expect(bigger.status, bigger.text).to.equal(201);
    await payEpay(bigger.body.order);
    await anchored(cny.body.id, 101);

    // --- Plans: the fee follows the plan the shop had when the order was created -------------------
    const beforeChange = await buy(cny.body.id, 1); // created on the free plan: 500 bps
    expect(beforeChange.status).to.equal(201);
    const toPro = await admin.http.put(`/api/admin/shops/${shopId}/plan`, { plan: "pro" });
    expect(toPro.body).to.deep.equal({ from: "free", to: "pro" });
    const afterChange = await buy(cny.body.id, 1); // created on pro: 200 bps
    await payEpay(beforeChange.body.order);
    await payEpay(afterChange.body.order);
    const feeOf = async (orderId: string) =>
      waitFor(`fee of ${orderId}`, async () => {
        const row = await queryOne<{ fee: string }>(
          platform.database.db,
          sql`SELECT p.amount_minor AS fee FROM ledger_transactions t JOIN ledger_postings p ON p.tx_id = t.id
              JOIN ledger_accounts a ON a.id = p.account_id AND a.owner_type = 'platform' AND a.purpose = 'fees'
              WHERE t.idempotency_key = ${`order:${orderId}:payment`}`,
        );
        return row ? String(row.fee) : undefined;
      });
    expect(await feeOf(beforeChange.body.order.id)).to.equal("1000"); // 20,000 x 5%
    expect(await feeOf(afterChange.body.order.id)).to.equal("400"); // 20,000 x 2%
    // Invoice of the month: CNY on the shop's own gateway: sales 20,000 + 40,000 + 20,000 + 20,000 = 100,000;
    // fees 1,000 + 2,000 + 1,000 + 400 = 4,400. ETH through the chain: 300,000,000,000,000, fee 15,000,000,000,000.
    const month = new Date().toISOString().slice(0, 7);
    const invoice = await merchant.get(`/api/shops/${shopId}/platform-invoices/${month}`);
    expect(invoice.status, invoice.text).to.equal(200);
    expect(invoice.body.lines).to.deep.include({
      currency: "CNY",
      collection: "merchant",
      salesMinor: "100000",
      sales: 4,
      feesMinor: "4400",
      refundedFeesMinor: "0",
      netFeesMinor: "4400",
    });
    expect(invoice.body.lines).to.deep.include({
      currency: "ETH",
      collection: "platform",
      salesMinor: "300000000000000",
      sales: 1,
      feesMinor: "15000000000000",
      refundedFeesMinor: "0",
      netFeesMinor: "15000000000000",
    });

    // --- A downgrade below what the shop holds is refused, nothing changes -------------------------
    expect((await merchant.post(`/api/shops/${shopId}/products`, { name: "P11", category: "game_card", priceMinor: "100", currency: "CNY" })).status).to.equal(
      201,
    );
    const downgrade = await admin.http.put(`/api/admin/shops/${shopId}/plan`, { plan: "free" });
    expect(downgrade.status).to.equal(409);
    expect(downgrade.body.code).to.equal("plan_downgrade_below_usage");
    expect(await count("shops", sql`id = ${BigInt(shopId)} AND plan_code = 'pro'`)).to.equal(1);
  });
});
