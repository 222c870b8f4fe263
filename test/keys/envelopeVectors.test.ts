// Envelope encryption against node:crypto directly: ciphertexts made by node:crypto
// (test/vectors/envelope.ts) that api/keys/envelope.ts must open, and the module's own output
// opened here by node:crypto, so the format (version || iv || ciphertext || tag, AAD) is fixed
// by something other than the module itself.
import { expect } from "chai";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { AppError } from "../../core/errors.ts";
import { decryptSecret, encryptSecret, importUploadAad, keyAad, unwrapDataKey, wrapDataKey } from "../../api/keys/envelope.ts";
import { createMasterKeyRing } from "../../api/keys/masterKeys.ts";
import { readVectors } from "../vectors/readVectors.ts";

type EnvelopeVectors = {
  masterKeyId: string;
  masterKey: string;
  dataKey: string;
  wrappedDataKey: string;
  secrets: { plaintext: string; aad: string; iv: string; sealed: string }[];
  versionTwo: { aad: string; sealed: string };
};
const vectors = readVectors<EnvelopeVectors>("envelope.json");
const dataKey = Buffer.from(vectors.dataKey, "hex");

function vectorRing(cacheSizeMax?: number) {
  return createMasterKeyRing({ id: vectors.masterKeyId, key: Buffer.from(vectors.masterKey, "hex") }, [], { dataKeyCacheSizeMax: cacheSizeMax });
}

/** Opens a sealed message with node:crypto alone. */
function openDirectly(key: Uint8Array, sealed: Buffer, aad: string): Buffer {
  expect(sealed[0]).to.equal(0x01);
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(1, 13));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(13, sealed.length - 16)), decipher.final()]);
}

function sealDirectly(key: Uint8Array, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(1), iv, body, cipher.getAuthTag()]);
}

function refusal(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected a refusal");
}

describe("keys: envelope format (known answers from node:crypto)", () => {
  it("opens secrets sealed by node:crypto, the empty one and views into larger buffers included", () => {
    for (const secret of vectors.secrets) {
      const sealed = Buffer.from(secret.sealed, "hex");
      expect(decryptSecret(dataKey, sealed, secret.aad)).to.equal(secret.plaintext);
      const padded = Buffer.concat([Buffer.from("garbage"), sealed, Buffer.from("tail")]);
      expect(decryptSecret(dataKey, new Uint8Array(padded.buffer, padded.byteOffset + 7, sealed.length), secret.aad)).to.equal(secret.plaintext);
    }
  });

  it("unwraps a data key wrapped by node:crypto under its master key", () => {
    const ring = vectorRing();
    expect(unwrapDataKey(ring, Buffer.from(vectors.wrappedDataKey, "hex"), vectors.masterKeyId)).to.deep.equal(dataKey);
  });

  it("seals what node:crypto opens: version 1, a 12-byte IV, the tag last, the AAD bound", () => {
    const aad = keyAad({ shopId: 7n, batchId: 12n, leafIndex: 0 });
    for (const plaintext of ["ABCD-EFGH-IJKL-0001", "点卡-密钥-2", ""]) {
      const sealed = encryptSecret(dataKey, plaintext, aad);
      expect(sealed.length).to.equal(1 + 12 + Buffer.byteLength(plaintext) + 16);
      expect(openDirectly(dataKey, sealed, aad).toString("utf8")).to.equal(plaintext);
      expect(() => openDirectly(dataKey, sealed, `${aad}0`)).to.throw();
    }
    const bytes = Uint8Array.of(0, 1, 2, 255);
    expect(openDirectly(dataKey, encryptSecret(dataKey, bytes, "a"), "a")).to.deep.equal(Buffer.from(bytes));
    // A fresh IV per message.
    expect(encryptSecret(dataKey, "same", "a").subarray(1, 13)).not.to.deep.equal(encryptSecret(dataKey, "same", "a").subarray(1, 13));
    const ring = vectorRing();
    const wrapped = wrapDataKey(ring, dataKey);
    expect(wrapped.masterKeyId).to.equal(vectors.masterKeyId);
    expect(openDirectly(Buffer.from(vectors.masterKey, "hex"), wrapped.dataKeyWrapped, `keyledger/data-key/v1|master=${vectors.masterKeyId}`)).to.deep.equal(
      dataKey,
    );
  });

  it("names where a ciphertext belongs in its AAD", () => {
    expect(keyAad({ shopId: 7n, batchId: 12n, leafIndex: 0 })).to.equal("keyledger/key/v1|shop=7|batch=12|leaf=0");
    expect(importUploadAad({ shopId: 7n, importId: 3n })).to.equal("keyledger/import/v1|shop=7|import=3");
  });

  it("refuses another format version, even when the rest is authentic", () => {
    const error = refusal(() => decryptSecret(dataKey, Buffer.from(vectors.versionTwo.sealed, "hex"), vectors.versionTwo.aad));
    expect(error.code).to.equal("internal");
    expect(error.message).to.equal("The secret is not in the expected format (version 1).");
    expect(error.details).to.deep.equal({ reason: "bad_format" });
  });

  it("refuses a message shorter than version, IV and tag, and opens one exactly that long", () => {
    const empty = Buffer.from(vectors.secrets.find((secret) => secret.plaintext === "")!.sealed, "hex");
    expect(empty.length).to.equal(29);
    expect(decryptSecret(dataKey, empty, "keyledger/import/v1|shop=7|import=3")).to.equal("");
    expect(refusal(() => decryptSecret(dataKey, empty.subarray(0, 28), "x")).details).to.deep.equal({ reason: "bad_format" });
    expect(refusal(() => decryptSecret(dataKey, new Uint8Array(0), "x")).details).to.deep.equal({ reason: "bad_format" });
  });

  it("refuses a wrong key, AAD or byte with one vague message", () => {
    const secret = vectors.secrets[0]!;
    const sealed = Buffer.from(secret.sealed, "hex");
    const message = "The secret failed authentication: wrong key, or altered or moved ciphertext.";
    for (const attempt of [
      () => decryptSecret(randomBytes(32), sealed, secret.aad),
      () => decryptSecret(dataKey, sealed, secret.aad.replace("leaf=0", "leaf=1")),
      () => decryptSecret(dataKey, Buffer.concat([sealed.subarray(0, 13), Buffer.of(sealed[13]! ^ 1), sealed.subarray(14)]), secret.aad),
      () => decryptSecret(dataKey, Buffer.concat([sealed.subarray(0, 2), Buffer.of(sealed[2]! ^ 1), sealed.subarray(3)]), secret.aad),
    ]) {
      const error = refusal(attempt);
      expect([error.code, error.message]).to.deep.equal(["internal", message]);
      expect(error.details).to.deep.equal({ reason: "authentication_failed" });
      expect(error.cause).to.be.instanceOf(Error);
    }
    const wrongMaster = createMasterKeyRing({ id: vectors.masterKeyId, key: randomBytes(32) });
    expect(refusal(() => unwrapDataKey(wrongMaster, Buffer.from(vectors.wrappedDataKey, "hex"), vectors.masterKeyId)).message).to.equal(
      `The data key wrapped under master key '${vectors.masterKeyId}' failed authentication: wrong key, or altered or moved ciphertext.`,
    );
  });

  it("refuses data keys that are not 32 bytes, both ways", () => {
    const ring = vectorRing();
    expect(() => wrapDataKey(ring, randomBytes(31))).to.throw("A data key is 32 bytes.");
    expect(() => wrapDataKey(ring, randomBytes(33))).to.throw("A data key is 32 bytes.");
    const short = sealDirectly(Buffer.from(vectors.masterKey, "hex"), randomBytes(31), `keyledger/data-key/v1|master=${vectors.masterKeyId}`);
    expect(() => unwrapDataKey(ring, short, vectors.masterKeyId)).to.throw("Invariant: an unwrapped data key is 32 bytes.");
    expect(ring.dataKeyCache.size).to.equal(0);
  });

  it("names an unknown master key without key material", () => {
    const error = refusal(() => unwrapDataKey(vectorRing(), Buffer.from(vectors.wrappedDataKey, "hex"), "k0"));
    expect([error.code, error.message]).to.deep.equal(["internal", "Master key 'k0' is not configured; add it to PREVIOUS_MASTER_KEYS."]);
    expect(error.details).to.deep.equal({ reason: "unknown_master_key", masterKeyId: "k0" });
  });

  it("caches unwrapped keys, least recently used out first", () => {
    const ring = vectorRing(2);
    const masterKey = Buffer.from(vectors.masterKey, "hex");
    const aad = `keyledger/data-key/v1|master=${vectors.masterKeyId}`;
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const wrapped = keys.map((key) => sealDirectly(masterKey, key, aad));
    const cacheKey = (index: number) => `${vectors.masterKeyId}:${wrapped[index]!.toString("base64")}`;
    const a = unwrapDataKey(ring, wrapped[0]!, vectors.masterKeyId);
    unwrapDataKey(ring, wrapped[1]!, vectors.masterKeyId);
    expect([...ring.dataKeyCache.keys()]).to.deep.equal([cacheKey(0), cacheKey(1)]);
    // A hit answers from the cache (the same buffer) and makes the entry the most recent.
    expect(unwrapDataKey(ring, wrapped[0]!, vectors.masterKeyId)).to.equal(a);
    expect([...ring.dataKeyCache.keys()]).to.deep.equal([cacheKey(1), cacheKey(0)]);
    expect(unwrapDataKey(ring, wrapped[2]!, vectors.masterKeyId)).to.deep.equal(keys[2]);
    expect([...ring.dataKeyCache.keys()]).to.deep.equal([cacheKey(0), cacheKey(2)]);
    expect(ring.dataKeyCache.get(cacheKey(2))).to.deep.equal(keys[2]);
  });
});
