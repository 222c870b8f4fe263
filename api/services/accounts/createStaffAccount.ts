// The first staff accounts of a new platform (`keyledger admin create`): an admin or an auditor,
// created with TOTP already enrolled, because staff roles are withheld from any session opened
// without a second factor (docs/accounts.md). The TOTP secret is fresh and random, returned once
// with its otpauth URL and ten recovery codes for the operator to hand over; none is logged.
// One transaction: the account, its role, its confirmed TOTP, its recovery codes and the audit
// row exist together or not at all.
import type { Role } from "../../../core/roles.ts";
import { sql, type Drizzle } from "../../../core/store/database.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { recordAudit } from "../audit.ts";
import { createAccount, type AccountView } from "./accounts.ts";
import { replaceRecoveryCodes } from "./recoveryCodes.ts";
import { beginTotpEnrolment } from "./totp.ts";

export type StaffRole = Extract<Role, "admin" | "auditor">;

export type CreateStaffAccountParameters = { email: string; password: string; role: StaffRole };

export type CreateStaffAccountReturnType = { account: AccountView; totpSecret: string; otpauthUri: string; recoveryCodes: string[] };

export async function createStaffAccount(db: Drizzle, ring: MasterKeyRing, parameters: CreateStaffAccountParameters): Promise<CreateStaffAccountReturnType> {
  return db.transaction(async (tx) => {
    const account = await createAccount(tx, { email: parameters.email, password: parameters.password, roles: [parameters.role] });
    const accountId = BigInt(account.id);
    const enrolment = await beginTotpEnrolment(tx, ring, { id: accountId, email: account.email });
    // Confirmed at once: the operator scans the otpauth URL before the account is first used.
    await tx.execute(sql`UPDATE account_totp SET confirmed_at = now() WHERE account_id = ${accountId}`);
    const recoveryCodes = await replaceRecoveryCodes(tx, accountId);
    await recordAudit(tx, {
      accountId: null,
      action: "staff_account_created",
      subject: `account:${accountId}`,
      details: { role: parameters.role, via: "cli" },
    });
    return { account, totpSecret: enrolment.secret, otpauthUri: enrolment.otpauthUri, recoveryCodes };
  });
}
