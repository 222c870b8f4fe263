// One captcha per application context, shared by the routes that ask for it (checkout, sign-up,
// login) and the challenge route: single use is kept in Redis, so replicas share it too.
import type { AppContext } from "../context.ts";
import { createCaptcha, type Captcha } from "../services/captcha/captcha.ts";

const captchas = new WeakMap<AppContext, Captcha>();

export function captchaOf(ctx: AppContext): Captcha {
  let captcha = captchas.get(ctx);
  if (!captcha) {
    captcha = createCaptcha(ctx.queues.connection, ctx.config.redis.prefix, ctx.config.captcha, ctx.config.redis.throttleTimeoutMs);
    captchas.set(ctx, captcha);
  }
  return captcha;
}
