import { expect } from "chai";
import { createDecipheriv, randomBytes } from "node:crypto";
import { ConfigError } from "../../core/config.ts";
import { AppError } from "../../core/errors.ts";
import { dedupeHash, deriveDedupeKey } from "../../api/keys/dedupe.ts";
import { createShopDataKey, decryptSecret, encryptSecret, keyAad, secretEncrypter, unwrapDataKey } from "../../api/keys/envelope.ts";
import { loadMasterKeyRing, parsePreviousMasterKeys } from "../../api/keys/masterKeys.ts";
import { testRing } from "./fixtures.ts";

function expectAuthFailure(action: () => unknown): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).to.be.instanceOf(AppError);
  expect((caught as AppError).details).to.deep.equal({ reason: "authentication_failed" });
}

describe("keys: envelope encryption", () => {
  it("round-trips a secret under a shop data key and never stores it in clear", () => {
    const ring = testRing();
    const { dataKeyWrapped, masterKeyId } = createShopDataKey(ring);
    expect(masterKeyId).to.equal("test-k1");
    expect(dataKeyWrapped.length).to.equal(1 + 12 + 32 + 16);
    const dataKey = unwrapDataKey(ring, dataKeyWrapped, masterKeyId);
    const aad = keyAad({ shopId: 1n, batchId: 2n, leafIndex: 3 });
    const secret = "ABCD-EFGH-IJKL-密钥";
    const sealed = encryptSecret(dataKey, secret, aad);
    expect(sealed[0]).to.equal(1);
    expect(sealed.includes(Buffer.from(secret))).to.equal(false);
    expect(decryptSecret(dataKey, sealed, aad)).to.equal(secret);
    // A random IV per message: the same secret encrypts differently every time.
    expect(encryptSecret(dataKey, secret, aad).equals(sealed)).to.equal(false);
  });

  it("detects a changed byte, a changed AAD and a row moved to another position", () => {
    const ring = testRing();
    const dataKey = unwrapDataKey(ring, createShopDataKey(ring).dataKeyWrapped, "test-k1");
    const here = keyAad({ shopId: 1n, batchId: 2n, leafIndex: 3 });
    const sealed = encryptSecret(dataKey, "SECRET-1", here);
    const flipped = Buffer.from(sealed);
    flipped[20] = flipped[20]! ^ 0x01;
    expectAuthFailure(() => decryptSecret(dataKey, flipped, here));
    const flippedTag = Buffer.from(sealed);
    flippedTag[flippedTag.length - 1] = flippedTag[flippedTag.length - 1]! ^ 0x80;
    expectAuthFailure(() => decryptSecret(dataKey, flippedTag, here));
    // The same ciphertext read as the neighbouring key, another batch or another shop.
    expectAuthFailure(() => decryptSecret(dataKey, sealed, keyAad({ shopId: 1n, batchId: 2n, leafIndex: 4 })));
    expectAuthFailure(() => decryptSecret(dataKey, sealed, keyAad({ shopId: 1n, batchId: 5n, leafIndex: 3 })));
    expectAuthFailure(() => decryptSecret(dataKey, sealed, keyAad({ shopId: 9n, batchId: 2n, leafIndex: 3 })));
    // Another shop's data key.
    const otherKey = unwrapDataKey(ring, createShopDataKey(ring).dataKeyWrapped, "test-k1");
    expectAuthFailure(() => decryptSecret(otherKey, sealed, here));
  });

  it("fails clearly for a wrong or unknown master key, naming no key material", () => {
    const key = randomBytes(32);
    const ring = testRing("k1", key);
    const { dataKeyWrapped } = createShopDataKey(ring);
    const wrongRing = testRing("k1", randomBytes(32));
    expectAuthFailure(() => unwrapDataKey(wrongRing, dataKeyWrapped, "k1"));
    let caught: AppError | undefined;
    try {
      unwrapDataKey(ring, dataKeyWrapped, "k0");
    } catch (error) {
      caught = error as AppError;
    }
    expect(caught?.message).to.equal("Master key 'k0' is not configured; add it to PREVIOUS_MASTER_KEYS.");
    expect(caught?.message).not.to.include(key.toString("hex"));
  });

  it("caches unwrapped data keys within its bound", () => {
    const ring = testRing("k1", randomBytes(32));
    ring.dataKeyCacheSizeMax = 3;
    const wrapped = Array.from({ length: 5 }, () => createShopDataKey(ring).dataKeyWrapped);
    const first = wrapped.map((item) => unwrapDataKey(ring, item, "k1"));
    expect(ring.dataKeyCache.size).to.equal(3);
    expect(wrapped.map((item) => unwrapDataKey(ring, item, "k1"))).to.deep.equal(first);
  });

  it("loads the ring from configuration and refuses missing or malformed keys", () => {
    const current = randomBytes(32).toString("hex");
    const old = randomBytes(32).toString("hex");
    const ring = loadMasterKeyRing({ masterKey: current, masterKeyId: "k2", previousMasterKeys: `k1:${old}`, queryPasswordPepper: undefined });
    expect([...ring.byId.keys()].sort()).to.deep.equal(["k1", "k2"]);
    expect(ring.current.id).to.equal("k2");
    expect(() => loadMasterKeyRing({ masterKey: undefined, masterKeyId: "k1", previousMasterKeys: undefined, queryPasswordPepper: undefined })).to.throw(
      ConfigError,
      /MASTER_KEY is not set/,
    );
    expect(() => loadMasterKeyRing({ masterKey: "abcd", masterKeyId: "k1", previousMasterKeys: undefined, queryPasswordPepper: undefined })).to.throw(
      ConfigError,
      /MASTER_KEY must be 32 bytes/,
    );
    expect(() => parsePreviousMasterKeys(`k1:${old.slice(2)}`)).to.throw(ConfigError, /entry 1 \('k1'\)/);
    try {
      parsePreviousMasterKeys(`k1:${old.slice(2)}zz`);
    } catch (error) {
      expect((error as Error).message).not.to.include(old.slice(2, 20));
    }
    expect(() => loadMasterKeyRing({ masterKey: current, masterKeyId: "k1", previousMasterKeys: `k1:${old}`, queryPasswordPepper: undefined })).to.throw(
      ConfigError,
      /repeats the current MASTER_KEY_ID/,
    );
  });

  it("derives a per-shop dedupe key: equal secrets collide within a shop only", () => {
    const dataKey = randomBytes(32);
    const shopOne = deriveDedupeKey(dataKey, 1n);
    const shopTwo = deriveDedupeKey(dataKey, 2n);
    expect(dedupeHash(shopOne, "CODE-1").equals(dedupeHash(shopOne, "  CODE-1 "))).to.equal(true);
    // NFC: "é" typed as one code point or as e + combining accent is the same key.
    expect(dedupeHash(shopOne, "caf\u00e9").equals(dedupeHash(shopOne, "cafe\u0301"))).to.equal(true);
    expect(dedupeHash(shopOne, "CODE-1").equals(dedupeHash(shopOne, "code-1"))).to.equal(false);
    expect(dedupeHash(shopOne, "CODE-1").equals(dedupeHash(shopTwo, "CODE-1"))).to.equal(false);
  });

  it("encrypts many secrets with a fresh IV each, in the documented format, bound to their AAD", () => {
    const dataKey = randomBytes(32);
    const encrypt = secretEncrypter(dataKey);
    // More than one draw of IVs (1,024 a draw), multi-byte and empty secrets.
    const secrets = Array.from({ length: 2500 }, (_, index) => (index % 3 === 0 ? `点卡-${index}` : index === 7 ? "" : `KEY-${index}`));
    const aads = secrets.map((_, leafIndex) => keyAad({ shopId: 3n, batchId: 5n, leafIndex }));
    const sealed = secrets.map((secret, index) => encrypt(secret, aads[index]!));
    // Decrypted by hand from the format in envelope.ts: version 0x01 || iv (12) || body || tag (16).
    sealed.forEach((bytes, index) => {
      expect(bytes[0]).to.equal(0x01);
      expect(bytes.length).to.equal(1 + 12 + Buffer.byteLength(secrets[index]!) + 16);
      const decipher = createDecipheriv("aes-256-gcm", dataKey, bytes.subarray(1, 13));
      decipher.setAAD(Buffer.from(aads[index]!, "utf8"));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      expect(Buffer.concat([decipher.update(bytes.subarray(13, bytes.length - 16)), decipher.final()]).toString("utf8")).to.equal(secrets[index]);
    });
    expect(new Set(sealed.map((bytes) => bytes.subarray(1, 13).toString("hex"))).size, "distinct IVs").to.equal(secrets.length);
    // The same bytes read back through the API, and refused at another position.
    expect(decryptSecret(dataKey, sealed[9]!, aads[9]!)).to.equal(secrets[9]);
    expectAuthFailure(() => decryptSecret(dataKey, sealed[9]!, aads[10]!));
  });
});
