// When sign-up and login need the captcha (docs/abuse.md, "Proof-of-work captcha"):
// - login: after `afterFailures` failed attempts for the account from the client in the login
//   throttle's window (the throttle takes a point before each check and gives it back on
//   success, so what it holds are failures and attempts in flight);
// - sign-up: from the (afterPerClient + 1)-th sign-up attempt from one client in an hour, counted
//   atomically before the check (INCR in Redis), so parallel sign-ups cannot all slip under it.
import { RateLimiterRedis } from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import type { AttemptThrottle } from "../throttles/attemptThrottle.ts";
import type { RedisBound } from "../throttles/boundedRedis.ts";
import type { Captcha } from "./captcha.ts";

export type CaptchaGate = { check(subject: { email?: string; clientAddress: string }, payload: string | undefined): Promise<void> };

export function loginCaptchaGate(
  throttle: AttemptThrottle,
  keysOf: (email: string, clientAddress: string) => { accountClient: string },
  captcha: Captcha,
  afterFailures: number,
): CaptchaGate {
  return {
    async check({ email, clientAddress }, payload) {
      const failures = await throttle.peek("accountClient", keysOf(email ?? "", clientAddress).accountClient);
      if (failures >= afterFailures) await captcha.require(payload, "failed_logins");
    },
  };
}

export function signupCaptchaGate(bounded: RedisBound, redis: Redis, prefix: string, captcha: Captcha, afterPerClient: number): CaptchaGate {
  const counter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:signups`, points: Number.MAX_SAFE_INTEGER, duration: 3600 });
  return {
    async check({ clientAddress }, payload) {
      const counted = await bounded(() => counter.penalty(clientAddress, 1));
      if (counted.consumedPoints > afterPerClient) await captcha.require(payload, "many_signups");
    },
  };
}
