// The API key's secret: `kl_live_<id>_<43 characters of base64url>`, shown once at creation. The
// prefix makes a leaked key recognisable to secret scanners and people; the id finds the row
// without a search. The random part is 32 bytes. Only HMAC-SHA256(API_KEY_HASH_KEY, secret) is
// stored: a plain SHA-256 would let anyone holding a copy of the database test guesses offline,
// the keyed hash needs the server's key as well (docs/api-keys.md, "Hashing").
// Pure (no database): mutation-tested with the other code that checks access.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const apiKeyPrefix = "kl_live_";
const secretPattern = /^kl_live_([1-9][0-9]{0,18})_([A-Za-z0-9_-]{43})$/;

/** A new secret for the key row `id`. */
export function newApiKeySecret(id: bigint): string {
  return `${apiKeyPrefix}${id}_${randomBytes(32).toString("base64url")}`;
}

/** The id a well-formed secret names, or undefined for anything else. */
export function apiKeyIdOf(secret: string): bigint | undefined {
  const match = secretPattern.exec(secret);
  return match ? BigInt(match[1]!) : undefined;
}

/** Whether a bearer token is meant as an API key (and not a session token, which never has the prefix). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(apiKeyPrefix);
}

export function hashApiKeySecret(hashKey: string, secret: string): Buffer {
  return createHmac("sha256", hashKey).update(secret).digest();
}

export function apiKeySecretMatches(hashKey: string, secret: string, stored: Uint8Array): boolean {
  const computed = hashApiKeySecret(hashKey, secret);
  return stored.length === computed.length && timingSafeEqual(computed, stored);
}

/** What a list shows of a key so its owner can tell keys apart: the prefix, the id and 4 characters. */
export function apiKeyHint(secret: string): string {
  const id = apiKeyIdOf(secret);
  if (id === undefined) throw new Error("apiKeyHint: not an API key secret");
  return `${apiKeyPrefix}${id}_${secret.slice(-43, -39)}…`;
}
