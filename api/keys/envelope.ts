// Envelope encryption: each shop has a random 32-byte data key, stored only wrapped
// (AES-256-GCM) under a master key; secrets are AES-256-GCM under the shop's data key.
//
// Format of both wrapped data keys and secret ciphertexts (bytes):
//   version (1 byte, 0x01) || iv (12 random bytes) || ciphertext || tag (16 bytes)
// A random 96-bit IV per message is safe for AES-GCM up to 2^32 messages per key (NIST SP
// 800-38D 8.3); a shop holding that many keys is far beyond the import limits.
//
// The associated data (AAD) binds a ciphertext to where it belongs, so a row copied onto
// another row (another shop, batch or position) fails authentication instead of decrypting:
//   wrapped data key:  "keyledger/data-key/v1|master=<masterKeyId>"
//   key secret:        "keyledger/key/v1|shop=<shopId>|batch=<batchId>|leaf=<leafIndex>"
//   delivered key secret, re-sealed under its buyer's data key (api/keys/buyerSeal.ts):
//                      "keyledger/key/v1|shop=<shopId>|batch=<batchId>|leaf=<leafIndex>|holder=<accountId>"
//   import upload:     "keyledger/import/v1|shop=<shopId>|import=<importId>"
//   ticket attachment: "keyledger/ticket-attachment/v1|shop=<shopId>|ticket=<ticketId>|message=<messageId>"
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { AppError } from "../../core/errors.ts";
import type { MasterKeyRing } from "./masterKeys.ts";

const formatVersion = 0x01;
const ivBytes = 12;
const tagBytes = 16;
export const dataKeyBytes = 32;

export type ShopDataKey = { dataKeyWrapped: Buffer; masterKeyId: string };

/** A fresh random data key for a new shop, wrapped under the ring's current master key. */
export function createShopDataKey(ring: MasterKeyRing): ShopDataKey {
  const dataKey = randomBytes(dataKeyBytes);
  return wrapDataKey(ring, dataKey);
}

export function wrapDataKey(ring: MasterKeyRing, dataKey: Buffer): ShopDataKey {
  if (dataKey.length !== dataKeyBytes) throw new Error("A data key is 32 bytes.");
  const { id, key } = ring.current;
  return { dataKeyWrapped: seal(key, dataKey, dataKeyAad(id)), masterKeyId: id };
}

/** Unwraps a shop's data key with the master key it was wrapped under (cached, bounded). */
export function unwrapDataKey(ring: MasterKeyRing, wrapped: Uint8Array, masterKeyId: string): Buffer {
  const cacheKey = `${masterKeyId}:${Buffer.from(wrapped).toString("base64")}`;
  const cached = ring.dataKeyCache.get(cacheKey);
  if (cached) {
    // Refresh its position: Map keeps insertion order, so the first entry is the least recent.
    ring.dataKeyCache.delete(cacheKey);
    ring.dataKeyCache.set(cacheKey, cached);
    return cached;
  }
  const masterKey = ring.byId.get(masterKeyId);
  if (!masterKey) {
    throw new AppError("internal", `Master key '${masterKeyId}' is not configured; add it to PREVIOUS_MASTER_KEYS.`, {
      details: { reason: "unknown_master_key", masterKeyId },
    });
  }
  const dataKey = open(masterKey, wrapped, dataKeyAad(masterKeyId), `data key wrapped under master key '${masterKeyId}'`);
  if (dataKey.length !== dataKeyBytes) throw new Error("Invariant: an unwrapped data key is 32 bytes.");
  if (ring.dataKeyCache.size >= ring.dataKeyCacheSizeMax) {
    const oldest = ring.dataKeyCache.keys().next().value;
    if (oldest !== undefined) ring.dataKeyCache.delete(oldest);
  }
  ring.dataKeyCache.set(cacheKey, dataKey);
  return dataKey;
}

export function encryptSecret(dataKey: Uint8Array, plaintext: string | Uint8Array, aad: string): Buffer {
  const bytes = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext;
  return seal(dataKey, bytes, aad);
}

/**
 * encryptSecret for many secrets under one data key (an import): the same format, a fresh
 * random IV for each secret as always, but the IVs drawn from the CSPRNG 1,024 at a time and
 * each used once, and each ciphertext built in one allocation. One randomBytes(12) per key
 * was a tenth of an import's CPU (node's per-call cost of the CSPRNG).
 */
export function secretEncrypter(dataKey: Uint8Array): (plaintext: string, aad: string) => Buffer {
  const ivsPerDraw = 1024;
  let ivs = Buffer.alloc(0);
  let next = 0;
  return (plaintext, aad) => {
    if (next === ivs.length) {
      ivs = randomBytes(ivBytes * ivsPerDraw);
      next = 0;
    }
    const iv = ivs.subarray(next, next + ivBytes);
    next += ivBytes;
    return seal(dataKey, Buffer.from(plaintext, "utf8"), aad, iv);
  };
}

/** Decrypts and authenticates; a changed ciphertext, key or AAD throws instead of returning. */
export function decryptSecret(dataKey: Uint8Array, ciphertext: Uint8Array, aad: string): string {
  return open(dataKey, ciphertext, aad, "secret").toString("utf8");
}

/** As decryptSecret, for binary plaintexts (ticket attachments). */
export function decryptBytes(dataKey: Uint8Array, ciphertext: Uint8Array, aad: string): Buffer {
  return open(dataKey, ciphertext, aad, "attachment");
}

export function keyAad(position: { shopId: bigint; batchId: bigint; leafIndex: number }): string {
  return `keyledger/key/v1|shop=${position.shopId}|batch=${position.batchId}|leaf=${position.leafIndex}`;
}

/** A delivered key's secret under its buyer's data key: bound to the buyer too (an account id, or `order:<id>` for a guest), so it cannot be moved to another's. */
export function heldKeyAad(position: { shopId: bigint; batchId: bigint; leafIndex: number }, holder: bigint | string): string {
  return `${keyAad(position)}|holder=${holder}`;
}

/** Drops a data key from the ring's cache: its wrapped copy was destroyed (an erasure, docs/compliance.md). */
export function forgetDataKey(ring: MasterKeyRing, wrapped: Uint8Array, masterKeyId: string): void {
  ring.dataKeyCache.delete(`${masterKeyId}:${Buffer.from(wrapped).toString("base64")}`);
}

export function importUploadAad(upload: { shopId: bigint; importId: bigint }): string {
  return `keyledger/import/v1|shop=${upload.shopId}|import=${upload.importId}`;
}

export function ticketAttachmentAad(attachment: { shopId: bigint; ticketId: bigint; messageId: bigint }): string {
  return `keyledger/ticket-attachment/v1|shop=${attachment.shopId}|ticket=${attachment.ticketId}|message=${attachment.messageId}`;
}

function dataKeyAad(masterKeyId: string): string {
  return `keyledger/data-key/v1|master=${masterKeyId}`;
}

/** `iv` must be fresh random bytes never used before under `key` (GCM's one rule). */
function seal(key: Uint8Array, plaintext: Uint8Array, aad: string, iv: Uint8Array = randomBytes(ivBytes)): Buffer {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = cipher.update(plaintext);
  cipher.final();
  // GCM is a stream mode: update returns every byte and final none, so the body is complete.
  const sealed = Buffer.allocUnsafe(1 + ivBytes + body.length + tagBytes);
  sealed[0] = formatVersion;
  sealed.set(iv, 1);
  sealed.set(body, 1 + ivBytes);
  sealed.set(cipher.getAuthTag(), 1 + ivBytes + body.length);
  return sealed;
}

function open(key: Uint8Array, sealed: Uint8Array, aad: string, what: string): Buffer {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < 1 + ivBytes + tagBytes || bytes[0] !== formatVersion) {
    throw new AppError("internal", `The ${what} is not in the expected format (version 1).`, {
      details: { reason: "bad_format" },
    });
  }
  const iv = bytes.subarray(1, 1 + ivBytes);
  const tag = bytes.subarray(bytes.length - tagBytes);
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(bytes.subarray(1 + ivBytes, bytes.length - tagBytes)), decipher.final()]);
  } catch (error) {
    // Deliberately vague about which input was wrong: GCM cannot tell, and the message must
    // never carry key material. Either the key is wrong or the bytes/AAD were altered.
    throw new AppError("internal", `The ${what} failed authentication: wrong key, or altered or moved ciphertext.`, {
      details: { reason: "authentication_failed" },
      cause: error,
    });
  }
}

export function webhookSecretAad(secret: { shopId: bigint; endpointId: bigint }): string {
  return `keyledger/webhook-secret/v1|shop=${secret.shopId}|endpoint=${secret.endpointId}`;
}

/** A remote supplier's API key (docs/docking.md, "Across instances"), bound to its shop and row. */
export function remoteSupplierKeyAad(supplier: { shopId: bigint; supplierId: bigint }): string {
  return `keyledger/remote-supplier-key/v1|shop=${supplier.shopId}|supplier=${supplier.supplierId}`;
}
