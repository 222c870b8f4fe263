import { randomBytes } from "node:crypto";

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: no I, L, O, U

/**
 * Order numbers: "KL" + milliseconds since epoch (base32, sorts by time) + 8 random characters.
 * 22 characters at most, so an order id always fits the 32-byte on-chain payment reference.
 */
export function newOrderId(now = Date.now()): string {
  let time = "";
  for (let value = now; value > 0; value = Math.floor(value / 32)) time = alphabet[value % 32] + time;
  return `KL${time}${randomCrockford(8)}`;
}

/** `length` random characters of Crockford base32 (5 bits of randomness each). */
export function randomCrockford(length: number): string {
  let text = "";
  for (const byte of randomBytes(length)) text += alphabet[byte % 32];
  return text;
}
