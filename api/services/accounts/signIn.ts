// Sign-in with email and password behind the guessing throttle
// (api/services/throttles/attemptThrottle.ts): each attempt takes its points before the
// password is verified, under three rules taken in this order, as the guest look-up does:
//   accountClient  per account and client address: the tight limit, so one client's wrong
//                  passwords lock out that client only;
//   client         per client address over all accounts: bounds credential stuffing;
//   account        per account from all clients: bounds a guesser spread over many addresses.
// The account key is the email as typed (normalised), known or not, so the throttle answers
// alike for accounts that exist and those that do not.
import type { AttemptThrottle, ThrottleRule } from "../throttles/attemptThrottle.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import { authenticate, type AccountView } from "./accounts.ts";

export type LoginThrottleSettings = {
  attemptsPerAccountAndClientMax: number;
  attemptsPerAccountMax: number;
  attemptsPerClientMax: number;
  windowSeconds: number;
};

export function loginThrottleRules(settings: LoginThrottleSettings): ThrottleRule[] {
  return [
    { name: "accountClient", points: settings.attemptsPerAccountAndClientMax, windowSeconds: settings.windowSeconds },
    { name: "client", points: settings.attemptsPerClientMax, windowSeconds: settings.windowSeconds },
    { name: "account", points: settings.attemptsPerAccountMax, windowSeconds: settings.windowSeconds },
  ];
}

/** The throttle's key per rule for a sign-in attempt (the captcha gate reads the same counts). */
export function loginAttemptKeys(emailInput: string, clientAddress: string): { accountClient: string; account: string; client: string } {
  const email = emailInput.trim().toLowerCase();
  return { accountClient: `${email}|${clientAddress}`, account: email, client: clientAddress };
}

export async function signIn(db: Drizzle, throttle: AttemptThrottle, input: { email: string; password: string; clientAddress: string }): Promise<AccountView> {
  const email = input.email.trim().toLowerCase();
  const attempt = await throttle.take(loginAttemptKeys(email, input.clientAddress));
  const account = await authenticate(db, email, input.password);
  await attempt.refund();
  return account;
}
