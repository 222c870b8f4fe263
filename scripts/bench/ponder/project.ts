// The Ponder side of the indexer benchmark: a minimal Ponder app (default configuration) that
// writes every Transfer of the benchmark contract into one table, equivalent to our
// chain_transfers. Written into a temporary directory at run time (with node_modules linked)
// so the project's type-check never sees Ponder's virtual modules.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Abi } from "viem";

export async function writePonderProject(root: string, abi: Abi): Promise<string> {
  const dir = join(tmpdir(), `keyledger-ponder-bench-${process.pid}`);
  await mkdir(join(dir, "src", "api"), { recursive: true });
  await symlink(join(root, "node_modules"), join(dir, "node_modules")).catch(() => {});
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "ponder-bench", private: true, type: "module" }));
  await writeFile(join(dir, "abi.ts"), `export const abi = ${JSON.stringify(abi)} as const;\n`);
  await writeFile(
    join(dir, "ponder.config.ts"),
    `import { createConfig } from "ponder";
import { abi } from "./abi";
export default createConfig({
  chains: { hardhat: { id: Number(process.env.BENCH_CHAIN_ID), rpc: process.env.BENCH_RPC_URL! } },
  contracts: { Entitlement: { chain: "hardhat", abi, address: process.env.BENCH_ADDRESS as \`0x\${string}\`, startBlock: Number(process.env.BENCH_START_BLOCK) } },
});
`,
  );
  await writeFile(
    join(dir, "ponder.schema.ts"),
    `import { onchainTable } from "ponder";
export const transfer = onchainTable("transfer", (t) => ({
  id: t.text().primaryKey(),
  tokenId: t.bigint().notNull(),
  from: t.hex().notNull(),
  to: t.hex().notNull(),
  blockNumber: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));
`,
  );
  await writeFile(
    join(dir, "src", "index.ts"),
    `import { ponder } from "ponder:registry";
import { transfer } from "ponder:schema";
ponder.on("Entitlement:Transfer", async ({ event, context }) => {
  await context.db.insert(transfer).values({
    id: event.id, tokenId: event.args.tokenId, from: event.args.from, to: event.args.to,
    blockNumber: event.block.number, transactionHash: event.transaction.hash,
  });
});
`,
  );
  await writeFile(join(dir, "src", "api", "index.ts"), `import { Hono } from "hono";\nconst app = new Hono();\nexport default app;\n`);
  return dir;
}
