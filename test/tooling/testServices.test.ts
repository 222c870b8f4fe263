// npm test's own set-up (scripts/lib/testServices.ts): private PostgreSQL and Redis where nothing
// answers, Debian's Chromium where the configured one is missing, nothing extra where all is there,
// and one message naming each missing piece for a user who cannot install it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import pg from "pg";
import { debianChromiumPath } from "../../scripts/lib/chromium.ts";
import { isRoot } from "../../scripts/lib/debianPackages.ts";
import { freePort } from "../../scripts/lib/localChain.ts";
import { redisUnreachableReason } from "../../scripts/lib/localRedis.ts";
import { provideTestServices } from "../../scripts/lib/testServices.ts";
import { testEnv } from "../support/env.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function serverSetting(url: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ value: string }>("SELECT current_setting($1) AS value", [name]);
    return result.rows[0]!.value;
  } finally {
    await client.end();
  }
}

describe("npm test's own services (scripts/lib/testServices.ts)", () => {
  it("starts a private PostgreSQL and Redis where nothing answers, uses Debian's Chromium, and removes them when stopped", async () => {
    // Ports nothing listens on stand for a machine without the services.
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const wanted = {
      pgAdminUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      chromiumPath: "/nonexistent/keyledger-test/chromium",
    };
    const services = await provideTestServices(wanted);
    let dataDirectory = "";
    try {
      expect(services.env.KEYLEDGER_TEST_PG_URL).to.not.equal(wanted.pgAdminUrl);
      expect(services.env.KEYLEDGER_TEST_REDIS_URL).to.not.equal(wanted.redisUrl);
      expect(services.env.KEYLEDGER_CHROMIUM_PATH).to.equal(debianChromiumPath);
      dataDirectory = await serverSetting(services.env.KEYLEDGER_TEST_PG_URL, "data_directory");
      expect(existsSync(dataDirectory)).to.equal(true);
      // The suites' databases are UTF-8 like the shared server's.
      expect(await serverSetting(services.env.KEYLEDGER_TEST_PG_URL, "server_encoding")).to.equal("UTF8");
      expect(await redisUnreachableReason(services.env.KEYLEDGER_TEST_REDIS_URL)).to.equal(undefined);
    } finally {
      await services.stop();
    }
    expect(existsSync(dataDirectory), "the private cluster's directory is removed").to.equal(false);
    expect(await redisUnreachableReason(services.env.KEYLEDGER_TEST_REDIS_URL, 1_000)).to.be.a("string");
  });

  it("starts nothing where the services answer", async () => {
    const services = await provideTestServices({ pgAdminUrl: testEnv.pgAdminUrl, redisUrl: testEnv.redisUrl, chromiumPath: debianChromiumPath });
    await services.stop();
    expect(services.env).to.deep.equal({
      KEYLEDGER_TEST_PG_URL: testEnv.pgAdminUrl,
      KEYLEDGER_TEST_REDIS_URL: testEnv.redisUrl,
      KEYLEDGER_CHROMIUM_PATH: debianChromiumPath,
    });
  });

  it("without root, names each missing piece and the command that installs it, and installs nothing", () => {
    const script = `
      import { ensureDebianPackages } from "./scripts/lib/debianPackages.ts";
      ensureDebianPackages([
        { what: "Piece one", debianPackage: "keyledger-no-such-package-one", present: () => false },
        { what: "Piece two", debianPackage: "keyledger-no-such-package-two", present: () => false },
        { what: "Piece there", debianPackage: "keyledger-no-such-package-three", present: () => true },
      ], "Or set SOMETHING.");
    `;
    const node = process.execPath;
    // As root, the check runs as user nobody (setpriv), the way a user without root meets it.
    const [command, args] = isRoot()
      ? ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", node, "--input-type=module", "-e", script]]
      : [node, ["--input-type=module", "-e", script]];
    // setpriv is util-linux's, an Essential package of every Debian system.
    const result = spawnSync(command as string, args as string[], { cwd: root, encoding: "utf8" });
    expect(result.status).to.not.equal(0);
    expect(result.stderr).to.contain("only root can install");
    expect(result.stderr).to.contain("sudo apt-get install -y keyledger-no-such-package-one");
    expect(result.stderr).to.contain("# Piece one");
    expect(result.stderr).to.contain("sudo apt-get install -y keyledger-no-such-package-two");
    expect(result.stderr).to.contain("Or set SOMETHING.");
    expect(result.stderr).to.not.contain("keyledger-no-such-package-three");
    expect(result.stderr).to.not.contain("installing");
  });
});
