// The proof-of-work captcha's challenge (ALTCHA, self-hosted; docs/abuse.md).
import { Router } from "express";
import type { AppContext } from "../../context.ts";
import { captchaOf } from "../captchaOf.ts";
import { defineRoute } from "../route.ts";
import { captchaChallengeSchema } from "../responses/captcha.ts";

export const captchaMountPath = "/api";

export function captchaRouter(ctx: AppContext): Router {
  const router = Router();
  const captcha = captchaOf(ctx);
  defineRoute(
    router,
    captchaMountPath,
    {
      method: "get",
      path: "/captcha/challenge",
      summary: "A proof-of-work challenge (ALTCHA v1, SHA-256): solve it and send the base64 JSON solution in the X-Captcha header; single use, expires",
      tags: ["accounts"],
      auth: "public",
      response: captchaChallengeSchema,
    },
    async () => captcha.challenge(),
  );
  return router;
}
