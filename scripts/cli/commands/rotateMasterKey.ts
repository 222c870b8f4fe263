// `keyledger keys rotate-master-key [--dry-run]`: re-wraps every shop's data key under
// MASTER_KEY / MASTER_KEY_ID, reading the old ones with PREVIOUS_MASTER_KEYS. Prints counts
// and key ids only; key material never reaches the output.
//
// Rotation, step by step: generate a new key (`openssl rand -hex 32`); set MASTER_KEY to it,
// MASTER_KEY_ID to a new id, and PREVIOUS_MASTER_KEYS to `oldId:oldHex`; run this command;
// restart the API and workers with the same settings; once it reports 0 shops left under old
// keys everywhere, drop the old key from PREVIOUS_MASTER_KEYS.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../../../core/config.ts";
import { isAppError } from "../../../core/errors.ts";
import { loadMasterKeyRing } from "../../../api/keys/masterKeys.ts";
import { rotateMasterKey } from "../../../api/keys/rotateMasterKey.ts";
import { openDatabase } from "../../../core/store/database.ts";

export type CommandIo = { stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown } };

const usage = `Usage: keyledger keys rotate-master-key [--dry-run]
  Re-wraps every shop data key under MASTER_KEY (id MASTER_KEY_ID); old keys come from
  PREVIOUS_MASTER_KEYS (id:hex,...). The store is DATABASE_URL, else the PGlite in DATA_DIR.
  --dry-run   report what would change and change nothing
`;

export async function main(argv: string[], io: CommandIo = process): Promise<number> {
  let dryRun: boolean;
  try {
    const { values } = parseArgs({ args: argv, options: { "dry-run": { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true });
    if (values.help) {
      io.stdout.write(usage);
      return 0;
    }
    dryRun = values["dry-run"] === true;
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  try {
    const config = loadConfig();
    const ring = loadMasterKeyRing(config.secrets);
    const database = await openDatabase(config.database);
    try {
      const result = await rotateMasterKey(database.db, ring, { dryRun });
      const from = Object.entries(result.fromMasterKeyIds)
        .map(([id, count]) => `${count} from '${id}'`)
        .join(", ");
      io.stdout.write(
        `${dryRun ? "[dry run, nothing changed] " : ""}Re-wrapped ${result.rewrapped} data key(s) (${result.byTable.shops.rewrapped} of shops, ${result.byTable.account_totp.rewrapped} of TOTP secrets) under master key '${result.masterKeyId}'` +
          `${from ? ` (${from})` : ""}; ${result.alreadyCurrent} already under it.\n`,
      );
      return 0;
    } finally {
      await database.close();
    }
  } catch (error) {
    if (error instanceof ConfigError || isAppError(error)) {
      io.stderr.write(`Rotation failed, nothing changed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
