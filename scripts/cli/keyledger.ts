#!/usr/bin/env node
// The `keyledger` command line. Each command lives in scripts/cli/commands/<name>.ts and
// exports `main(argv: string[]): Promise<number>` returning the exit code; this file only
// dispatches, loading the command's module on demand so one command's dependencies never
// slow another down.
const commands: Record<string, { module: string; summary: string }> = {
  deploy: { module: "./commands/deploy.ts", summary: "deploy the contracts to CHAIN_RPC_URL and write the deployment file" },
  "admin create": { module: "./commands/adminCreate.ts", summary: "create a staff account (admin or auditor) with TOTP enrolled" },
  verify: { module: "./commands/verify.ts", summary: "verify a key's certificate against the chain alone" },
  "audit ledger": { module: "./commands/auditLedger.ts", summary: "check the journal's hash chain and on-chain anchors" },
  "keys rotate-master-key": {
    module: "./commands/rotateMasterKey.ts",
    summary: "re-wrap every shop data key under a new master key",
  },
};

async function run(argv: string[]): Promise<number> {
  const name = [argv.slice(0, 2).join(" "), argv[0] ?? ""].find((candidate) => candidate in commands);
  if (!name || argv[0] === "--help" || argv[0] === "-h") {
    const lines = Object.entries(commands).map(([command, { summary }]) => `  keyledger ${command.padEnd(24)} ${summary}`);
    process.stdout.write(`Usage:\n${lines.join("\n")}\n`);
    return name || argv[0] === "--help" || argv[0] === "-h" ? 0 : 2;
  }
  const command = commands[name]!;
  const module = (await import(command.module)) as { main(argv: string[]): Promise<number> };
  return module.main(argv.slice(name.split(" ").length));
}

process.exitCode = await run(process.argv.slice(2));
