// What the suites need from the machine, provided the way `npm start` provides Redis: each
// service that does not answer at its test URL is started privately (PostgreSQL in a temporary
// cluster, Redis as a private redis-server), each on a free port, and Chromium falls back to
// Debian's package. Missing Debian packages are installed when root; without root, one message
// names every missing piece and its install command. When everything answers (this machine kind,
// CI) this costs one connection to each server and nothing else.
import { chromiumPiece, configuredChromiumExists, resolveChromium } from "./chromium.ts";
import { cjkFontPiece } from "./cjkFont.ts";
import { ensureDebianPackages, type DebianPiece } from "./debianPackages.ts";
import { postgresServerPiece, postgresUnreachableReason, startLocalPostgres } from "./localPostgres.ts";
import { redisServerPiece, redisUnreachableReason, startLocalRedis } from "./localRedis.ts";

export type TestServiceSettings = { pgAdminUrl: string; redisUrl: string; chromiumPath: string };
export type TestServices = {
  /** The variables the suites read (test/support/env.ts), pointing at what answers. */
  env: { KEYLEDGER_TEST_PG_URL: string; KEYLEDGER_TEST_REDIS_URL: string; KEYLEDGER_CHROMIUM_PATH: string };
  stop(): Promise<void>;
};

export async function provideTestServices(settings: TestServiceSettings): Promise<TestServices> {
  const [postgresDown, redisDown] = await Promise.all([postgresUnreachableReason(settings.pgAdminUrl), redisUnreachableReason(settings.redisUrl)]);
  const wanted: DebianPiece[] = [];
  if (postgresDown) {
    wanted.push({
      ...postgresServerPiece,
      what: `${postgresServerPiece.what} for a private server, as nothing answers at ${withoutPassword(settings.pgAdminUrl)}`,
    });
  }
  if (redisDown)
    wanted.push({ ...redisServerPiece, what: `${redisServerPiece.what} for a private server, as nothing answers at ${withoutPassword(settings.redisUrl)}` });
  if (!configuredChromiumExists(settings.chromiumPath)) wanted.push(chromiumPiece);
  // The receipt PDFs' CJK font (test/receipts); present() is one stat when it is there.
  wanted.push(cjkFontPiece);
  // All pieces at once: one apt-get run as root, one message without root.
  ensureDebianPackages(
    wanted,
    "Or point KEYLEDGER_TEST_PG_URL, KEYLEDGER_TEST_REDIS_URL and KEYLEDGER_CHROMIUM_PATH at a running PostgreSQL, a running Redis and a Chromium.",
  );

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => {});
  };
  try {
    let pgAdminUrl = settings.pgAdminUrl;
    if (postgresDown) {
      process.stderr.write(`keyledger: PostgreSQL does not answer at ${withoutPassword(settings.pgAdminUrl)} (${postgresDown}); starting a private cluster\n`);
      const postgres = await startLocalPostgres();
      stops.push(() => postgres.stop());
      pgAdminUrl = postgres.url;
      process.stderr.write(`keyledger: private PostgreSQL at ${pgAdminUrl}\n`);
    }
    let redisUrl = settings.redisUrl;
    if (redisDown) {
      process.stderr.write(`keyledger: Redis does not answer at ${withoutPassword(settings.redisUrl)} (${redisDown}); starting a private redis-server\n`);
      const redis = await startLocalRedis();
      stops.push(() => redis.stop());
      redisUrl = redis.url;
      process.stderr.write(`keyledger: private Redis at ${redisUrl}\n`);
    }
    const chromiumPath = resolveChromium(settings.chromiumPath);
    return { env: { KEYLEDGER_TEST_PG_URL: pgAdminUrl, KEYLEDGER_TEST_REDIS_URL: redisUrl, KEYLEDGER_CHROMIUM_PATH: chromiumPath }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A URL fit for a message: its password (if any) replaced. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}
