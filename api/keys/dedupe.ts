// Duplicate detection without plaintext: a key's dedupe hash is HMAC-SHA256 of its normalised
// text under a per-shop dedupe key derived from the shop's data key with HKDF-SHA256. Only
// these hashes are stored and compared (the keys table's unique (shop_id, dedupe_hash) index
// makes a duplicate impossible to insert); the HMAC key never leaves memory, so the hashes
// cannot be brute-forced from a database dump the way an unkeyed hash of a short code could.
import { createHmac, hkdfSync } from "node:crypto";

const dedupeKeyInfo = "keyledger/dedupe/v1";

export function deriveDedupeKey(dataKey: Uint8Array, shopId: bigint): Buffer {
  return Buffer.from(hkdfSync("sha256", dataKey, Buffer.alloc(0), `${dedupeKeyInfo}|shop=${shopId}`, 32));
}

/**
 * The form two keys are compared in: Unicode NFC (the same text typed on different systems)
 * with surrounding whitespace removed. Case is kept: many codes are case-sensitive, and
 * folding would reject distinct keys as duplicates.
 */
export function normaliseSecret(secret: string): string {
  return secret.normalize("NFC").trim();
}

export function dedupeHash(dedupeKey: Uint8Array, secret: string): Buffer {
  return createHmac("sha256", dedupeKey).update(normaliseSecret(secret), "utf8").digest();
}

/**
 * dedupeHash of each secret, as views of one buffer: an import's 100,000 hashes as one
 * allocation instead of 100,000 buffers, each with its own backing store (peak memory).
 */
export function dedupeHashes(dedupeKey: Uint8Array, secrets: readonly string[]): Buffer[] {
  const packed = Buffer.allocUnsafe(32 * secrets.length);
  return secrets.map((secret, index) => {
    const view = packed.subarray(32 * index, 32 * index + 32);
    view.set(dedupeHash(dedupeKey, secret));
    return view;
  });
}
