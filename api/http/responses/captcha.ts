// Response schema of the captcha challenge (api/http/routes/captcha.ts): ALTCHA's v1 challenge.
import { z } from "zod";

export const captchaChallengeSchema = z.strictObject({
  algorithm: z.string().describe("SHA-256"),
  challenge: z.string().describe("hex SHA-256 of salt + the secret number"),
  maxnumber: z.number().int().optional().describe("the secret number is at most this"),
  salt: z.string().describe("carries the expiry (expires=unix seconds)"),
  signature: z.string().describe("HMAC of the challenge with the server's key"),
});
