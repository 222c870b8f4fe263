// keyledger deploy: deploys the platform's contracts to CHAIN_RPC_URL with the key in
// CHAIN_OPERATOR_KEY (the deployer, which also holds the operator, issuer and anchorer roles
// unless other holders are named) and writes the deployment file (addresses, deployment block,
// chain id) that the API, the workers and the indexer read through DEPLOYMENT_FILE.
//
//   keyledger deploy --out FILE [--admin 0x..] [--treasury 0x..] [--custodian 0x..] [--force]
//
// Exits 0 with the file written, 1 when the deployment failed, 2 on a usage or configuration error.
// An existing file is never overwritten without --force: it names live contracts.
import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getAddress, isAddress, type Address } from "viem";
import { deployToRpc } from "../../../api/chain/deployToRpc.ts";
import { loadConfig, requireSetting } from "../../../core/config.ts";
import { redactUrl } from "../../../core/logger.ts";

const usage = `Usage: keyledger deploy --out FILE [--admin ADDRESS] [--treasury ADDRESS] [--custodian ADDRESS] [--force]
  Reads CHAIN_RPC_URL and CHAIN_OPERATOR_KEY (the deployer) from the environment.
  --admin      holder of every contract's admin role (default: the deployer)
  --treasury   receives payments made through the payment router (default: the admin)
  --custodian  holds custodial entitlements (default: the deployer)`;

export async function main(argv: string[]): Promise<number> {
  let options: { out?: string; admin?: string; treasury?: string; custodian?: string; force?: boolean };
  try {
    options = parseArgs({
      args: argv,
      options: { out: { type: "string" }, admin: { type: "string" }, treasury: { type: "string" }, custodian: { type: "string" }, force: { type: "boolean" } },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (!options.out) {
    process.stderr.write(`--out is required: the deployment file to write.\n${usage}\n`);
    return 2;
  }
  if (existsSync(options.out) && !options.force) {
    process.stderr.write(`${options.out} exists and names deployed contracts; pass --force to replace it, or choose another --out.\n`);
    return 2;
  }
  const roles: { admin?: Address; treasury?: Address; custodian?: Address } = {};
  for (const name of ["admin", "treasury", "custodian"] as const) {
    const value = options[name];
    if (value === undefined) continue;
    if (!isAddress(value)) {
      process.stderr.write(`--${name} must be an address of 20 bytes in hex (0x followed by 40 hex characters).\n`);
      return 2;
    }
    roles[name] = getAddress(value);
  }
  let rpcUrl: string;
  let deployerKey: `0x${string}`;
  try {
    // The file this command writes is not read here (it may not exist yet).
    const config = loadConfig({ ...process.env, DEPLOYMENT_FILE: undefined });
    rpcUrl = requireSetting(config.chain.rpcUrl, "CHAIN_RPC_URL", "Point it at the chain's RPC, e.g. http://127.0.0.1:8545.");
    deployerKey = requireSetting(config.chain.operatorKey, "CHAIN_OPERATOR_KEY", "Set it to the deployer's private key (32 bytes in hex).");
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  try {
    const deployment = await deployToRpc({
      rpcUrl,
      deployerKey,
      roles: { ...roles, ...(roles.admin && !roles.treasury ? { treasury: roles.admin } : {}) },
    });
    writeFileSync(options.out, `${JSON.stringify(deployment, null, 2)}\n`, { mode: 0o644 });
    process.stdout.write(
      `Deployed to chain ${deployment.chainId} at ${redactUrl(rpcUrl)} from block ${deployment.deploymentBlock}:\n${Object.entries(deployment.contracts)
        .map(([name, address]) => `  ${name.padEnd(13)} ${address}`)
        .join("\n")}\nWrote ${options.out}; set DEPLOYMENT_FILE=${options.out} for the API, the workers and the indexer.\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`The deployment failed: ${(error as Error).message.split("\n")[0]}\n`);
    return 1;
  }
}
