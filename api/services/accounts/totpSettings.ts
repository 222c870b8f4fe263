// The owner's TOTP settings: confirm an enrolment with its first code (which turns TOTP on,
// issues the recovery codes and lifts the current session to a second-factor session), turn
// TOTP off and renew the recovery codes. Turning off and renewing ask for a current code, so
// a session left open on someone else's screen cannot do either.
import { AppError } from "../../../core/errors.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { recordAudit } from "../audit.ts";
import type { AttemptThrottle } from "../throttles/attemptThrottle.ts";
import { deleteRecoveryCodes, replaceRecoveryCodes } from "./recoveryCodes.ts";
import { secondFactorKeys } from "./secondFactor.ts";
import { raiseSessionFactor, staffRoles, type AuthenticatedAccount } from "./sessions.ts";
import { secondFactorsOf } from "./signIn.ts";
import { checkTotpCode, deleteTotp } from "./totp.ts";

type Deps = { db: Drizzle; ring: MasterKeyRing; throttle: AttemptThrottle };

const wrongCode = "The code is wrong or was used already: wait for the next code in your authenticator app.";

async function withCode<T>(deps: Deps, account: AuthenticatedAccount, code: string, confirmed: boolean, then: (tx: Drizzle) => Promise<T>): Promise<T> {
  const attempt = await deps.throttle.take(secondFactorKeys(account.id, undefined));
  const result = await deps.db.transaction(async (tx) => {
    const check = await checkTotpCode(tx, deps.ring, account.id, code, confirmed);
    if (check === "not_enrolled") {
      throw new AppError(
        "invalid_state",
        confirmed ? "TOTP is not on for this account." : "No TOTP enrolment is waiting: start one with POST /api/account/security/totp.",
      );
    }
    return check === "accepted" ? { value: await then(tx) } : undefined;
  });
  if (!result) throw new AppError("invalid_credentials", wrongCode);
  await attempt.refund();
  return result.value;
}

export async function confirmTotp(deps: Deps, account: AuthenticatedAccount, code: string): Promise<{ recoveryCodes: string[] }> {
  const recoveryCodes = await withCode(deps, account, code, false, async (tx) => {
    const codes = await replaceRecoveryCodes(tx, account.id);
    await recordAudit(tx, { accountId: account.id, action: "account.totp_enabled", subject: `account:${account.id}` });
    return codes;
  });
  // The code just shown proves the second factor in this session.
  await raiseSessionFactor(deps.db, account.tokenHash, "totp");
  return { recoveryCodes };
}

export async function renewRecoveryCodes(deps: Deps, account: AuthenticatedAccount, code: string): Promise<{ recoveryCodes: string[] }> {
  const recoveryCodes = await withCode(deps, account, code, true, async (tx) => {
    const codes = await replaceRecoveryCodes(tx, account.id);
    await recordAudit(tx, { accountId: account.id, action: "account.recovery_codes_renewed", subject: `account:${account.id}` });
    return codes;
  });
  return { recoveryCodes };
}

export async function disableTotp(deps: Deps, account: AuthenticatedAccount, code: string): Promise<void> {
  const isStaff = [...account.roles, ...account.withheldRoles].some((role) => staffRoles.includes(role));
  if (isStaff && !(await secondFactorsOf(deps.db, account.id)).includes("passkey")) {
    throw new AppError("invalid_state", "Admins and auditors must keep a second factor: add a passkey before turning TOTP off.");
  }
  await withCode(deps, account, code, true, async (tx) => {
    await deleteTotp(tx, account.id);
    await deleteRecoveryCodes(tx, account.id);
    await recordAudit(tx, { accountId: account.id, action: "account.totp_disabled", subject: `account:${account.id}` });
  });
}
