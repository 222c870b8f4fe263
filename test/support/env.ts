// Where the suites find the real services. Tests read these variables here only. `npm test`
// (scripts/withTestServices.ts) starts private PostgreSQL and Redis when nothing answers at these
// URLs, and points the variables at them.
import { debianChromiumPath } from "../../scripts/lib/chromium.ts";

export const testEnv = {
  // An admin connection to the PostgreSQL server; each suite creates its own database there.
  pgAdminUrl: process.env.KEYLEDGER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.KEYLEDGER_TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  // The browser suites' Chromium.
  chromiumPath: process.env.KEYLEDGER_CHROMIUM_PATH ?? debianChromiumPath,
  // Run the longer variants (more simulation seeds, bigger property runs).
  thorough: process.env.KEYLEDGER_TEST_THOROUGH === "1",
  // Log level of platforms started by suites (warn keeps test output readable).
  platformLogLevel: process.env.KEYLEDGER_TEST_LOG_LEVEL ?? "warn",
};
