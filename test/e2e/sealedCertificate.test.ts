// Issue 14 item 5 over HTTP against the running platform: a sealed entitlement's certificate
// must not carry the salt (with the salt and the commitment a short code is brute-forced in
// seconds), whoever asks: the buyer, the merchant, an auditor, an admin, or the reseller handing
// it to a buyer. After reveal the buyer's certificate carries it and verifies with the key; the
// salt and commitment are checked here with viem directly against the stored salt, not with the
// code under test. Staff never get it.
import { expect } from "chai";
import { concat, keccak256, toBytes, toHex, type Hex } from "viem";
import { verifyCertificateOffline } from "../../core/keys/verifyCertificate.ts";
import { createStaffAccount } from "../support/staff.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { usePlatform, waitFor, type HttpClient } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";

describe("sealed certificates withhold the salt (HTTP, PostgreSQL, Redis, local chain)", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  let buyer: HttpClient;
  let secondBuyer: HttpClient;
  const staff: Record<"admin" | "auditor", HttpClient> = {} as never;
  let order: { id: string };
  let items: { entitlementId: string; keyId: string; state: string }[];

  async function account(role: string): Promise<HttpClient> {
    const email = `${role}-${Math.random().toString(36).slice(2, 10)}@example.com`;
    const signup = await suite.platform.http.post("/api/auth/signup", { email, password: `${role}-password-1`, roles: ["buyer"] });
    expect(signup.status, signup.text).to.equal(201);
    return suite.platform.http.as(signup.body.token);
  }

  async function staffAccount(role: "admin" | "auditor"): Promise<HttpClient> {
    return (await createStaffAccount(suite.platform, `${role}-sealed`, [role])).http;
  }

  async function storedSalt(keyId: string): Promise<Hex> {
    const row = await queryOne<{ salt: Buffer }>(suite.platform.database.db, sql`SELECT salt FROM keys WHERE id = ${keyId}`);
    return toHex(row!.salt);
  }

  async function certificateAs(client: HttpClient, keyId: string) {
    const response = await client.get(`/api/orders/${order.id}/keys/${keyId}/certificate`);
    expect(response.status, response.text).to.equal(200);
    return response;
  }

  before(async () => {
    setup = await setupMerchant(suite.platform);
    const productId = await createProduct(setup, { name: "Sealed voucher", resaleAllowed: true, royaltyBps: 500 });
    // Short codes, as the audit's 6-digit vouchers: the salt is all that protects them.
    await importKeys(setup, productId, randomKeys(4, "V"));
    buyer = await account("buyer");
    secondBuyer = await account("second");
    staff.admin = await staffAccount("admin");
    staff.auditor = await staffAccount("auditor");
    const checkout = await buyer.post("/api/orders", { productId, quantity: 2 });
    expect(checkout.status, checkout.text).to.equal(201);
    order = checkout.body.order;
    const paid = await suite.platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, checkout.body.order, "SEALED-T-1")));
    expect(paid.text).to.equal("success");
    items = await waitFor("fulfilment", async () => {
      const view = await buyer.get(`/api/orders/${order.id}`);
      return view.body.state === "fulfilled" ? view.body.items : undefined;
    });
    expect(items.map((item) => item.state)).to.deep.equal(["sealed", "sealed"]);
  });

  it("gives no one the salt of a sealed entitlement: buyer, merchant, auditor, admin", async () => {
    for (const item of items) {
      const salt = await storedSalt(item.keyId);
      for (const [who, client] of [
        ["buyer", buyer],
        ["merchant", setup.merchant],
        ["auditor", staff.auditor],
        ["admin", staff.admin],
      ] as const) {
        const response = await certificateAs(client, item.keyId);
        expect(response.body.commitment.salt, `${who}'s certificate`).to.equal(null);
        expect(response.text.toLowerCase(), `${who}'s certificate`).not.to.include(salt.slice(2).toLowerCase());
        expect(response.body.version).to.equal("keyledger-certificate/2");
      }
    }
  });

  it("proves a sealed certificate's inclusion without a key and reports the key as unchecked", async () => {
    const certificate = (await certificateAs(buyer, items[0]!.keyId)).body;
    const offline = verifyCertificateOffline(certificate);
    expect(offline.genuine).to.equal(true);
    expect(offline.checks.find((check) => check.name === "merkle_proof")?.status).to.equal("pass");
    const keyCheck = offline.checks.find((check) => check.name === "key_commitment");
    expect(keyCheck).to.deep.include({ status: "skip" });
    expect(keyCheck!.detail).to.match(/unchecked/);
    // A key given with a sealed certificate is not checked either (there is nothing to check it with), and never fails.
    expect(verifyCertificateOffline(certificate, "V-GUESS").checks.find((check) => check.name === "key_commitment")?.status).to.equal("skip");
    // The server's verifier agrees.
    const verified = await suite.platform.http.post("/api/verify", { certificate });
    expect(verified.status, verified.text).to.equal(200);
    expect(verified.body.checks.find((check: { name: string }) => check.name === "key_commitment").status).to.equal("skip");
    expect(verified.body.checks.filter((check: { status: string }) => check.status === "fail")).to.deep.equal([]);
  });

  it("releases the salt with the code at reveal, to the buyer only, and it verifies with the key", async () => {
    const item = items[0]!;
    const revealed = await buyer.post(`/api/orders/${order.id}/reveal`, { entitlementIds: [item.entitlementId] });
    expect(revealed.status, revealed.text).to.equal(200);
    const code = revealed.body.items.find((entry: { entitlementId: string }) => entry.entitlementId === item.entitlementId).code as string;
    expect(code).to.match(/^V-/);
    const certificate = (await certificateAs(buyer, item.keyId)).body;
    const salt = await storedSalt(item.keyId);
    expect(certificate.commitment.salt).to.equal(salt);
    // keccak256(salt || utf8(code)) computed here with viem, against the leaf's commitment.
    expect(keccak256(concat([salt, toHex(toBytes(code))]))).to.equal(certificate.leaf.values[5]);
    const verdict = verifyCertificateOffline(certificate, code);
    expect(verdict.checks.find((check) => check.name === "key_commitment")?.status).to.equal("pass");
    expect(verifyCertificateOffline(certificate, `${code}0`).genuine).to.equal(false);
    for (const client of [setup.merchant, staff.auditor, staff.admin]) {
      expect((await certificateAs(client, item.keyId)).body.commitment.salt).to.equal(null);
    }
    // The other entitlement of the same order is still sealed: still no salt.
    expect((await certificateAs(buyer, items[1]!.keyId)).body.commitment.salt).to.equal(null);
  });

  it("keeps the salt from the reseller after the resale, and releases it to the reseller's buyer at reveal", async () => {
    const item = items[1]!;
    await waitFor(
      "on-chain issuance",
      async () => {
        const view = await buyer.get(`/api/orders/${order.id}`);
        const entry = view.body.items.find((candidate: { entitlementId: string }) => candidate.entitlementId === item.entitlementId);
        return entry.tokenId && entry.issueState !== "pending" && entry.issueState !== "submitted" ? entry : undefined;
      },
      120_000,
      250,
    );
    // What the reseller hands to a prospective buyer: no salt.
    expect((await certificateAs(buyer, item.keyId)).body.commitment.salt).to.equal(null);
    const listing = await buyer.post("/api/resale/listings", { entitlementId: item.entitlementId, priceMinor: "1500", currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);
    const purchase = await secondBuyer.post(`/api/resale/listings/${listing.body.id}/purchases`);
    expect(purchase.status, purchase.text).to.equal(201);
    const pay = await fetch(`${suite.platform.url}/sandbox/epay/pay`, {
      method: "POST",
      body: new URL(purchase.body.paymentUrl).searchParams,
      redirect: "manual",
    });
    expect(pay.status).to.equal(303);
    await waitFor("resale settled", async () => {
      const view = await secondBuyer.get(`/api/resale/purchases/${purchase.body.id}`);
      return view.body.state === "settled" ? view.body : undefined;
    });
    // The new holder gets the certificate of what it holds, still without the salt while sealed.
    const holderPath = `/api/entitlements/${item.entitlementId}/certificate`;
    const sealedForHolder = await secondBuyer.get(holderPath);
    expect(sealedForHolder.status, sealedForHolder.text).to.equal(200);
    expect(sealedForHolder.body.commitment.salt).to.equal(null);
    expect((await buyer.get(holderPath)).status).to.equal(404);
    const revealed = await waitFor(
      "reveal by the new holder",
      async () => {
        const reveal = await secondBuyer.post(`/api/entitlements/${item.entitlementId}/reveal`);
        return reveal.status === 200 ? reveal.body : undefined;
      },
      60_000,
      1000,
    );
    const salt = await storedSalt(item.keyId);
    // The reseller, who never saw the code, never gets the salt.
    const resold = await certificateAs(buyer, item.keyId);
    expect(resold.body.commitment.salt).to.equal(null);
    expect(resold.text.toLowerCase()).not.to.include(salt.slice(2).toLowerCase());
    // The reseller's buyer, who revealed it, gets the salt with the code, and it verifies.
    const forHolder = (await secondBuyer.get(holderPath)).body;
    expect(forHolder.commitment.salt).to.equal(salt);
    expect(keccak256(concat([salt, toHex(toBytes(revealed.code))]))).to.equal(forHolder.leaf.values[5]);
    expect(verifyCertificateOffline(forHolder, revealed.code).checks.find((check) => check.name === "key_commitment")?.status).to.equal("pass");
  });
});
