// Development secrets for `npm start` on one machine: generated once into the data directory
// (mode 0600) and reused, so a restart can still decrypt what it stored. Production sets
// MASTER_KEY, QUERY_PASSWORD_PEPPER (and never EPAY_SANDBOX_SECRET) in the environment; there
// the entry points refuse to start without them.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export type DevSecrets = { MASTER_KEY: string; QUERY_PASSWORD_PEPPER: string; EPAY_SANDBOX_SECRET: string };

export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, "dev-secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as DevSecrets;
  mkdirSync(dataDir, { recursive: true });
  const secrets: DevSecrets = {
    MASTER_KEY: randomBytes(32).toString("hex"),
    QUERY_PASSWORD_PEPPER: randomBytes(32).toString("hex"),
    EPAY_SANDBOX_SECRET: randomBytes(32).toString("hex"),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
