// Proof-of-work captcha (ALTCHA, self-hosted: altcha-lib's v1 protocol, SHA-256; no third party).
// The server hands out a challenge signed with its HMAC key (ALTCHA_HMAC_KEY, a secret from
// core/config.ts, never logged) that expires; the browser finds the number whose hash is the
// challenge (about maxNumber/2 hashes on average) and sends the solution back as a base64 JSON
// payload in the `X-Captcha` header. A solution is single-use: its signature is stored in Redis
// with SET NX until the challenge expires, so a replay (even in parallel) is refused.
// docs/abuse.md, "Proof-of-work captcha".
import { createChallenge, verifySolution } from "altcha-lib/v1";
import type { Redis } from "ioredis";
import { AppError } from "../../../core/errors.ts";
import { createRedisBound } from "../throttles/boundedRedis.ts";

export type CaptchaSettings = { hmacKey: string; maxNumber: number; ttlSeconds: number };

export type CaptchaChallenge = { algorithm: string; challenge: string; maxnumber?: number; salt: string; signature: string };

export type Captcha = {
  challenge(): Promise<CaptchaChallenge>;
  /** Whether the payload solves a challenge of ours that has not expired and was never used; uses it up. */
  redeem(payload: string | undefined): Promise<boolean>;
  /** Throws 428 captcha_required (details.reason) unless the payload is a fresh solution. */
  require(payload: string | undefined, reason: string): Promise<void>;
};

/** The request header that carries a solution. */
export const captchaHeader = "x-captcha";

const payloadLengthMax = 2_000;

export function createCaptcha(redis: Redis, prefix: string, settings: CaptchaSettings, redisTimeoutMs: number): Captcha {
  const bounded = createRedisBound(redis, redisTimeoutMs);
  const captcha: Captcha = {
    async challenge() {
      return createChallenge({
        hmacKey: settings.hmacKey,
        maxNumber: settings.maxNumber,
        expires: new Date(Date.now() + settings.ttlSeconds * 1000),
      });
    },
    async redeem(payload) {
      if (!payload || payload.length > payloadLengthMax) return false;
      let decoded: { signature?: unknown };
      try {
        decoded = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
      } catch {
        return false;
      }
      if (typeof decoded !== "object" || decoded === null || typeof decoded.signature !== "string") return false;
      // Checks the HMAC signature, the expiry (in the signed salt) and the solution.
      if (!(await verifySolution(payload, settings.hmacKey, true))) return false;
      // Single use, atomically: only the first redeemer sets the key.
      const first = await bounded(() => redis.set(`${prefix}:captcha:used:${decoded.signature}`, "1", "EX", settings.ttlSeconds, "NX"));
      return first === "OK";
    },
    async require(payload, reason) {
      if (await captcha.redeem(payload)) return;
      throw new AppError(
        "captcha_required",
        payload
          ? "The captcha solution is wrong, expired or used already. Solve a new challenge from /api/captcha/challenge and send it in the X-Captcha header."
          : "Solve the captcha: fetch /api/captcha/challenge, solve it, and send the solution in the X-Captcha header.",
        { details: { reason, challengeUrl: "/api/captcha/challenge", header: "X-Captcha" } },
      );
    },
  };
  return captcha;
}
