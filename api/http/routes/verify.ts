import { Router } from "express";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { z } from "zod";
import { AppError } from "../../../core/errors.ts";
import type { AppContext } from "../../context.ts";
import { createRedisBound } from "../../services/throttles/boundedRedis.ts";
import { verifyKey } from "../../services/verify/verifyKey.ts";
import { defineRoute } from "../route.ts";
import { verifyResultSchema } from "../responses/verify.ts";

export const verifyMountPath = "/api";

const verifyRequestsPerMinuteMax = 60;

export function verifyRouter(ctx: AppContext): Router {
  const router = Router();
  // Verification by key alone is a guessing oracle if unbounded: a per-client budget keeps
  // brute force of short codes impractical while a person checking their keys never notices.
  const verifications = new RateLimiterRedis({
    storeClient: ctx.queues.connection,
    keyPrefix: `${ctx.config.redis.prefix}:verify`,
    points: verifyRequestsPerMinuteMax,
    duration: 60,
  });
  const bounded = createRedisBound(ctx.queues.connection, ctx.config.redis.throttleTimeoutMs);
  defineRoute(
    router,
    verifyMountPath,
    {
      method: "post",
      path: "/verify",
      summary: "Verify a key and/or its certificate against the chain: genuine, unknown or invalid",
      tags: ["verify"],
      auth: "public",
      response: verifyResultSchema,
      body: z.strictObject({
        key: z.string().trim().min(1).max(512).optional(),
        certificate: z.record(z.string(), z.unknown()).optional(),
      }),
    },
    async ({ body, req }) => {
      try {
        await bounded(() => verifications.consume(req.ip ?? "unknown"));
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw new AppError("rate_limited", `Too many verifications from this address. Try again in ${retryAfterSeconds} s.`, {
          details: { retryAfterSeconds },
        });
      }
      return verifyKey(ctx.database.db, ctx.keyRing, ctx.chain, body);
    },
  );
  return router;
}
