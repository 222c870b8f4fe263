// The Ponder side of the indexer benchmark: a minimal Ponder app (default configuration) that
// writes every platform event of the benchmark (BatchAnchored, EntitlementsIssued, Transfer)
// into one table, the equivalent of our chain_events. Written into a temporary directory at run time (with node_modules linked)
// so the project's type-check never sees Ponder's virtual modules.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Abi } from "viem";

export async function writePonderProject(root: string, abis: { registry: Abi; entitlement: Abi }): Promise<string> {
  const dir = join(tmpdir(), `keyledger-ponder-bench-${process.pid}`);
  await mkdir(join(dir, "src", "api"), { recursive: true });
  await symlink(join(root, "node_modules"), join(dir, "node_modules")).catch(() => {});
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "ponder-bench", private: true, type: "module" }));
  await writeFile(
    join(dir, "abi.ts"),
    `export const registryAbi = ${JSON.stringify(abis.registry)} as const;\nexport const entitlementAbi = ${JSON.stringify(abis.entitlement)} as const;\n`,
  );
  await writeFile(
    join(dir, "ponder.config.ts"),
    `import { createConfig } from "ponder";
import { entitlementAbi, registryAbi } from "./abi";
export default createConfig({
  chains: { hardhat: { id: Number(process.env.BENCH_CHAIN_ID), rpc: process.env.BENCH_RPC_URL! } },
  contracts: {
    Registry: { chain: "hardhat", abi: registryAbi, address: process.env.BENCH_REGISTRY as \`0x\${string}\`, startBlock: Number(process.env.BENCH_START_BLOCK) },
    Entitlement: { chain: "hardhat", abi: entitlementAbi, address: process.env.BENCH_ENTITLEMENT as \`0x\${string}\`, startBlock: Number(process.env.BENCH_START_BLOCK) },
  },
});
`,
  );
  await writeFile(
    join(dir, "ponder.schema.ts"),
    `import { onchainTable } from "ponder";
export const event = onchainTable("event", (t) => ({
  id: t.text().primaryKey(),
  name: t.text().notNull(),
  args: t.json().notNull(),
  blockNumber: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));
`,
  );
  await writeFile(
    join(dir, "src", "index.ts"),
    `import { ponder } from "ponder:registry";
import { event as table } from "ponder:schema";
const json = (args: object) => JSON.parse(JSON.stringify(args, (_key, value) => (typeof value === "bigint" ? value.toString() : value)));
for (const name of ["Registry:BatchAnchored", "Entitlement:EntitlementsIssued", "Entitlement:Transfer"] as const) {
  ponder.on(name, async ({ event, context }) => {
    await context.db.insert(table).values({
      id: event.id, name, args: json(event.args), blockNumber: event.block.number, transactionHash: event.transaction.hash,
    });
  });
}
`,
  );
  await writeFile(join(dir, "src", "api", "index.ts"), `import { Hono } from "hono";\nconst app = new Hono();\nexport default app;\n`);
  return dir;
}
