// The pure rules of API keys (docs/api-keys.md), without a database: the secret's format and its
// keyed hash (expected values from node:crypto here, not from the module), the allow-list's
// CIDR matching (IPv4, IPv6, IPv4-mapped addresses), and the scope gate every route passes.
// Listed among the mutation run's pure tests (stryker.config.mjs).
import { createHash, createHmac } from "node:crypto";
import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import { requireKeyScope } from "../../api/http/auth.ts";
import { addressAllowed, parseNetwork } from "../../api/services/apiKeys/allowList.ts";
import { apiKeyHint, apiKeyIdOf, apiKeySecretMatches, hashApiKeySecret, looksLikeApiKey, newApiKeySecret } from "../../api/services/apiKeys/apiKeySecret.ts";

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("API key rules (pure)", () => {
  describe("secrets", () => {
    it("kl_live_<id>_<43 base64url characters>, naming its id; anything else names none", () => {
      const secret = newApiKeySecret(42n);
      expect(secret).to.match(/^kl_live_42_[A-Za-z0-9_-]{43}$/);
      expect(newApiKeySecret(42n)).to.not.equal(secret);
      expect(apiKeyIdOf(secret)).to.equal(42n);
      expect(looksLikeApiKey(secret)).to.equal(true);
      expect(looksLikeApiKey("kl_test_1")).to.equal(false);
      for (const bad of [
        "kl_live_42_short",
        `kl_live_0_${"A".repeat(43)}`,
        `kl_live_42_${"A".repeat(44)}`,
        `kl_live_x_${"A".repeat(43)}`,
        `KL_LIVE_42_${"A".repeat(43)}`,
        `${secret} `,
      ]) {
        expect(apiKeyIdOf(bad), bad).to.equal(undefined);
      }
    });

    it("stores HMAC-SHA256(server key, secret), checked in constant time; another server key or secret does not match", () => {
      const secret = `kl_live_7_${"Q".repeat(43)}`;
      const expected = createHmac("sha256", "server-key").update(secret).digest();
      expect(hashApiKeySecret("server-key", secret).equals(expected)).to.equal(true);
      expect(hashApiKeySecret("server-key", secret).equals(createHash("sha256").update(secret).digest())).to.equal(false);
      expect(apiKeySecretMatches("server-key", secret, expected)).to.equal(true);
      expect(apiKeySecretMatches("other-key", secret, expected)).to.equal(false);
      expect(apiKeySecretMatches("server-key", `kl_live_7_${"R".repeat(43)}`, expected)).to.equal(false);
      expect(apiKeySecretMatches("server-key", secret, expected.subarray(0, 31))).to.equal(false);
    });

    it("a list shows the prefix, the id and 4 characters of the random part, never more", () => {
      expect(apiKeyHint(`kl_live_7_abcd${"Z".repeat(39)}`)).to.equal("kl_live_7_abcd…");
      expect(() => apiKeyHint("not a key")).to.throw();
    });
  });

  describe("allow-lists", () => {
    it("an empty list allows any address; otherwise only addresses inside a listed network", () => {
      expect(addressAllowed([], "198.51.100.1")).to.equal(true);
      expect(addressAllowed([], undefined)).to.equal(true);
      const list = ["203.0.113.0/24", "2001:db8::/32", "192.0.2.7"];
      const cases: [string | undefined, boolean][] = [
        ["203.0.113.0", true],
        ["203.0.113.255", true],
        ["203.0.114.0", false],
        ["203.0.112.255", false],
        ["::ffff:203.0.113.9", true],
        ["2001:db8::1", true],
        ["2001:db8:ffff:ffff::1", true],
        ["2001:db9::1", false],
        ["192.0.2.7", true],
        ["192.0.2.8", false],
        ["not an address", false],
        [undefined, false],
      ];
      for (const [address, allowed] of cases) expect(addressAllowed(list, address), String(address)).to.equal(allowed);
    });

    it("parses networks and refuses what is not one with validation_failed naming it", () => {
      expect(parseNetwork("10.0.0.0/8")).to.deep.equal({ address: "10.0.0.0", prefix: 8, family: "ipv4" });
      expect(parseNetwork("::1")).to.deep.equal({ address: "::1", prefix: 128, family: "ipv6" });
      expect(parseNetwork("0.0.0.0/0").prefix).to.equal(0);
      for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/8/1", "10.0.0/8", "example.com", "10.0.0.0/", "10.0.0.0/-1"]) {
        const error = refusal(() => parseNetwork(bad));
        expect(error.code, bad).to.equal("validation_failed");
        expect(error.message).to.contain(bad);
      }
    });
  });

  describe("the scope gate", () => {
    const key = { id: 3n, scopes: ["products:read" as const, "orders:read" as const] };

    it("lets sessions and guests through, and a key on a route its scopes open", () => {
      expect(() => requireKeyScope(undefined, undefined, "GET /api/me")).to.not.throw();
      expect(() => requireKeyScope(undefined, "ledger:read", "GET /x")).to.not.throw();
      expect(() => requireKeyScope(key, "orders:read", "GET /x")).to.not.throw();
    });

    it("refuses a key, 403 api_key_scope, on a route of another scope and on a route without one", () => {
      const other = refusal(() => requireKeyScope(key, "products:write", "POST /api/shops/{shopId}/products"));
      expect([other.code, other.status]).to.deep.equal(["api_key_scope", 403]);
      expect(other.details).to.deep.equal({ requiredScope: "products:write", keyScopes: ["products:read", "orders:read"] });
      expect(other.message).to.contain("products:write");
      const none = refusal(() => requireKeyScope(key, undefined, "GET /api/me"));
      expect(none.code).to.equal("api_key_scope");
      expect(none.details).to.deep.equal({ requiredScope: null, keyScopes: ["products:read", "orders:read"] });
      expect(none.message).to.contain("GET /api/me");
    });
  });
});
