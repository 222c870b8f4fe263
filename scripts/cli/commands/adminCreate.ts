// keyledger admin create: creates a staff account (admin or auditor) on the platform's store,
// with TOTP enrolled, and prints what its holder needs exactly once: the password (generated
// unless --password-file is given), the TOTP secret with its otpauth URL (scan it into an
// authenticator app), and ten recovery codes. Nothing of these is logged; the audit log records
// that the account was made.
//
//   keyledger admin create --email EMAIL [--role admin|auditor] [--password-file FILE]
//
// Reads DATABASE_URL (else the PGlite in DATA_DIR), MASTER_KEY and MASTER_KEY_ID from the
// environment; migrates the store first, so it may run before the API ever started.
// Exits 0 when the account exists, 1 when it could not be made (e.g. the email is taken), 2 on usage.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadMasterKeyRing } from "../../../api/keys/masterKeys.ts";
import { createStaffAccount, type StaffRole } from "../../../api/services/accounts/createStaffAccount.ts";
import { ConfigError, loadConfig } from "../../../core/config.ts";
import { isAppError } from "../../../core/errors.ts";
import { openDatabase } from "../../../core/store/database.ts";
import { migrate } from "../../../core/store/migrate.ts";
import type { CommandIo } from "./rotateMasterKey.ts";

const usage = `Usage: keyledger admin create --email EMAIL [--role admin|auditor] [--password-file FILE]
  --role           admin (default) or auditor
  --password-file  a file holding the password (at least 10 characters); otherwise one is generated
  Prints the password, the TOTP secret and otpauth URL, and recovery codes once: keep them safe.
`;

const passwordLengthMin = 10;
const staffRoles: readonly StaffRole[] = ["admin", "auditor"];

export async function main(argv: string[], io: CommandIo = process): Promise<number> {
  let email: string;
  let role: StaffRole;
  let password: string;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { email: { type: "string" }, role: { type: "string" }, "password-file": { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(usage);
      return 0;
    }
    if (!values.email || !/^[^\s@]+@[^\s@]+$/.test(values.email)) throw new Error("--email must be an email address.");
    email = values.email;
    const chosen = values.role ?? "admin";
    if (!staffRoles.includes(chosen as StaffRole)) throw new Error(`--role must be one of: ${staffRoles.join(", ")}.`);
    role = chosen as StaffRole;
    // 18 random bytes: 144 bits, far beyond any guessing throttle's reach.
    password = values["password-file"] ? readFileSync(values["password-file"], "utf8").replace(/\r?\n$/, "") : randomBytes(18).toString("base64url");
    if (password.length < passwordLengthMin) throw new Error(`The password must have at least ${passwordLengthMin} characters.`);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  try {
    const config = loadConfig();
    const ring = loadMasterKeyRing(config.secrets);
    const database = await openDatabase("url" in config.database ? { ...config.database, applicationName: "keyledger-cli" } : config.database);
    try {
      await migrate(database);
      const created = await createStaffAccount(database.db, ring, { email, password, role });
      io.stdout.write(
        [
          `Created ${role} account ${created.account.id} (${created.account.email}).`,
          "Shown once, never stored in the clear or logged; hand them to the account's holder:",
          `  password:        ${password}`,
          `  TOTP secret:     ${created.totpSecret}`,
          `  otpauth URL:     ${created.otpauthUri}`,
          `  recovery codes:  ${created.recoveryCodes.join(" ")}`,
          "Sign in with the password and the authenticator's code; staff roles need the second factor.",
          "",
        ].join("\n"),
      );
      return 0;
    } finally {
      await database.close();
    }
  } catch (error) {
    if (error instanceof ConfigError || isAppError(error)) {
      io.stderr.write(`No account was created: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
