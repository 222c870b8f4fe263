// Links and the SIWE domain come from PUBLIC_URL, never from the request's Host header.
// Reproduces the audit's finding: without PUBLIC_URL (the `npm start` default) a SIWE
// signature for evil.example was accepted with `Host: evil.example`, and payment links
// pointed wherever the Host header said.
import { request } from "node:http";
import { expect } from "chai";
import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { ConfigError, loadConfig } from "../../core/config.ts";
import { createProduct, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

/** A JSON request with a Host header of our choosing (fetch does not let a caller set Host). */
function withHost(baseUrl: string, host: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const url = new URL(path, baseUrl);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: {
          host,
          ...(text ? { "content-type": "application/json", "content-length": Buffer.byteLength(text) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, body: raw ? JSON.parse(raw) : undefined });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(text);
  });
}

describe("PUBLIC_URL: links and the SIWE domain never come from Host", function () {
  this.timeout(300_000);

  it("PUBLIC_URL is required in production and must be an http(s) URL; development defaults to the listener", () => {
    const secrets = { QUERY_PASSWORD_PEPPER: "pepper", ALTCHA_HMAC_KEY: "captcha-hmac-key-for-tests", API_KEY_HASH_KEY: "api-key-hash-key-for-tests" };
    expect(() => loadConfig({ ...secrets, NODE_ENV: "production" })).to.throw(ConfigError, /PUBLIC_URL/);
    expect(() => loadConfig({ ...secrets, NODE_ENV: "production", PUBLIC_URL: "shop.example" })).to.throw(ConfigError, /PUBLIC_URL/);
    expect(loadConfig({ ...secrets, NODE_ENV: "production", PUBLIC_URL: "https://shop.example/" }).http.publicUrl).to.equal("https://shop.example");
    expect(loadConfig({ NODE_ENV: "development", HOST: "127.0.0.1", PORT: "8123" }).http.publicUrl).to.equal("http://127.0.0.1:8123");
  });

  describe("against the running platform (started without PUBLIC_URL, as npm start is)", () => {
    const suite = usePlatform();
    let setup: MerchantSetup;
    before(async () => {
      setup = await setupMerchant(suite.platform);
    });

    it("sets PUBLIC_URL for the platform it starts", () => {
      expect(suite.platform.ctx.config.http.publicUrl).to.equal(suite.platform.url);
    });

    it("checkout's payment links use PUBLIC_URL whatever Host says", async () => {
      const productId = await createProduct(setup, { name: "Host target", category: "service_voucher", deliveryMode: "manual", manualStock: 2 });
      const checkout = await withHost(suite.platform.url, "evil.example", "POST", "/api/orders", {
        productId,
        quantity: 1,
        contact: "host@example.com",
        queryPassword: "host-pass-1",
      });
      expect(checkout.status).to.equal(201);
      const link = new URL(checkout.body.payment.url);
      expect(link.searchParams.get("notify_url")).to.match(new RegExp(`^${suite.platform.url}/api/payments/epay/notify/`));
      expect(link.searchParams.get("return_url")!.startsWith(`${suite.platform.url}/`)).to.equal(true);
      expect(checkout.body.payment.url).not.to.contain("evil.example");
    });

    it("a SIWE signature for the Host header's domain is refused; the nonce names PUBLIC_URL's host", async () => {
      const signup = await suite.platform.http.post("/api/auth/signup", { email: "siwe-host@example.com", password: "siwe-password-1" });
      const token = signup.body.token as string;
      const nonce = await withHost(suite.platform.url, "evil.example", "POST", "/api/wallets/siwe/nonce", undefined, token);
      expect(nonce.status).to.equal(201);
      expect(nonce.body.domain).to.equal(new URL(suite.platform.url).host);
      const wallet = privateKeyToAccount(generatePrivateKey());
      const message = createSiweMessage({
        address: wallet.address,
        domain: "evil.example",
        uri: "http://evil.example",
        version: "1",
        chainId: nonce.body.chainId,
        nonce: nonce.body.nonce,
        issuedAt: new Date(),
        expirationTime: new Date(Date.now() + 60_000),
      });
      const linked = await withHost(
        suite.platform.url,
        "evil.example",
        "POST",
        "/api/wallets/link",
        { message, signature: await wallet.signMessage({ message }) },
        token,
      );
      expect(linked.status).to.equal(400);
      expect(linked.body.code).to.equal("invalid_signature");
    });
  });
});
