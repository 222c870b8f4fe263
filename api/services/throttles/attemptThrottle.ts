// Throttles for endpoints that check a secret someone may guess (the guest order look-up, the
// login). Every attempt takes its point BEFORE the secret is checked, atomically in Redis
// (rate-limiter-flexible's consume is one Lua INCRBY + expiry), so parallel guesses cannot all
// slip in between a read of the count and a later penalty: of any number of concurrent
// attempts, at most `points` per window get to the check. A correct answer gives its point
// back (refund), so someone who knows the secret is never locked out by using it.
//
// An attempt is counted under several keys (one per rule, tightest first: e.g. per order and
// client address, per client address, per order); it goes ahead only if every rule has room.
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import { AppError } from "../../../core/errors.ts";
import { createRedisBound } from "./boundedRedis.ts";

export type ThrottleRule = {
  /** Names the rule in Redis keys and in the 429's details. */
  name: string;
  /** Attempts per window under one key of this rule. */
  points: number;
  windowSeconds: number;
};

export type AttemptThrottleParameters = {
  redis: Redis;
  /** How long one count may wait for Redis before the attempt is refused (503 throttle_unavailable; boundedRedis.ts). */
  timeoutMs: number;
  /** Redis key prefix of this throttle (e.g. `keyledger:lookup`). */
  prefix: string;
  rules: ThrottleRule[];
  /** Says in the 429's message what was refused, e.g. "wrong look-ups for this order". */
  what: string;
};

/** The attempt's keys, one per rule name. */
export type AttemptKeys = Record<string, string>;

export type Attempt = {
  /** Gives the attempt's points back: call it when the secret was right. */
  refund(): Promise<void>;
};

export type AttemptThrottle = {
  /** Takes one point under every rule, or throws `rate_limited` (429) with retryAfterSeconds, or `throttle_unavailable` (503) when Redis does not answer in time. */
  take(keys: AttemptKeys): Promise<Attempt>;
  /** The points taken under one rule's key in its window (attempts not given back: failures, and those in flight). */
  peek(rule: string, key: string): Promise<number>;
  /** Forgets the keys' counts (an operator's remedy, and tests). */
  clear(keys: AttemptKeys): Promise<void>;
};

export function createAttemptThrottle(parameters: AttemptThrottleParameters): AttemptThrottle {
  const bounded = createRedisBound(parameters.redis, parameters.timeoutMs);
  const limiters = parameters.rules.map((rule) => ({
    rule,
    limiter: new RateLimiterRedis({
      storeClient: parameters.redis,
      keyPrefix: `${parameters.prefix}:${rule.name}`,
      points: rule.points,
      duration: rule.windowSeconds,
    }),
  }));

  function keyOf(keys: AttemptKeys, rule: ThrottleRule): string {
    const key = keys[rule.name];
    if (key === undefined) throw new Error(`attempt throttle: no key for rule ${rule.name}`);
    return key;
  }

  return {
    async take(keys) {
      // Rule by rule, in the order given: a rule that refuses stops the attempt before the
      // later (wider) rules count it, so one client hammering an order uses up its own
      // per-client allowance only, not the order's ceiling that protects everyone else.
      for (const { rule, limiter } of limiters) {
        try {
          await bounded(() => limiter.consume(keyOf(keys, rule), 1));
        } catch (error) {
          // A Redis failure is not a reason to let guesses through unthrottled: it fails the request.
          if (!(error instanceof RateLimiterRes)) throw error;
          const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
          throw new AppError("rate_limited", `Too many ${parameters.what}. Try again in ${retryAfterSeconds} s.`, {
            details: { retryAfterSeconds, limit: rule.name },
            retryable: true,
          });
        }
      }
      return {
        refund: async () => {
          // The secret was right: a refund Redis could not take leaves one counted attempt, which
          // must not turn a correct answer into an error.
          await bounded(() => Promise.all(limiters.map(({ rule, limiter }) => limiter.reward(keyOf(keys, rule), 1)))).catch(() => {});
        },
      };
    },
    async peek(ruleName, key) {
      const found = limiters.find(({ rule }) => rule.name === ruleName);
      if (!found) throw new Error(`attempt throttle: no rule ${ruleName}`);
      return (await bounded(() => found.limiter.get(key)))?.consumedPoints ?? 0;
    },
    async clear(keys) {
      await Promise.all(limiters.map(({ rule, limiter }) => limiter.delete(keyOf(keys, rule))));
    },
  };
}
