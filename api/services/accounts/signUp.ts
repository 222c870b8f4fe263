// Sign-up and email enumeration (docs/accounts.md, "Sign-up and enumeration"). Sign-up answers
// with a session, so it cannot answer a taken email the same way as a new one without a
// verification mail in between; it keeps its `email_taken` answer, and each such answer costs
// the client address a point of this throttle (taken before the account is created, given
// back when it is), so one address learns about at most SIGNUP_TAKEN_ATTEMPTS_MAX emails an
// hour. Creating accounts in bulk is bounded by the captcha on sign-up (the abuse controls).
import type { Attempt, AttemptThrottle, ThrottleRule } from "../throttles/attemptThrottle.ts";

export function signUpThrottleRules(settings: { attemptsPerClientMax: number; windowSeconds: number }): ThrottleRule[] {
  return [{ name: "client", points: settings.attemptsPerClientMax, windowSeconds: settings.windowSeconds }];
}

export function takeSignUpAttempt(throttle: AttemptThrottle, clientAddress: string): Promise<Attempt> {
  return throttle.take({ client: clientAddress });
}
