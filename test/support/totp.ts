// An independent TOTP (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1, 6 digits, 30 s steps) with
// node:crypto, so tests compute codes without the `otpauth` package the platform uses.
// Checked against RFC 6238's own test vectors in test/api/accountSecurity.test.ts.
import { createHmac } from "node:crypto";

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/=+$/, "");
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = base32Alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** HOTP(key, counter) as RFC 4226 section 5.3 computes it (dynamic truncation). */
export function hotp(key: Buffer, counter: number, digits = 6, algorithm = "sha1"): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

export function totpStep(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / 30);
}

export function totpCode(secretBase32: string, step = totpStep()): string {
  return hotp(base32Decode(secretBase32), step);
}

// The platform refuses a code whose step is not later than the last one it accepted for the
// account (replay). A test that signs in several times within 30 s takes the next step each
// time (the platform accepts one step of drift), and waits when it would run ahead further.
const lastStepBySecret = new Map<string, number>();

/** A code the platform has not seen yet for this secret: the current step's or the next one's. */
export async function freshTotpCode(secretBase32: string): Promise<string> {
  for (;;) {
    const now = totpStep();
    const step = Math.max(now, (lastStepBySecret.get(secretBase32) ?? -1) + 1);
    if (step <= now + 1) {
      lastStepBySecret.set(secretBase32, step);
      return totpCode(secretBase32, step);
    }
    await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 50));
  }
}

/** Waits for the next step when fewer than `marginMs` remain in this one, so a test's step arithmetic holds until the server checks. */
export async function awayFromStepBoundary(marginMs = 4_000): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
