// Starts a local Hardhat node as a child process on a free port and waits until it answers.
// Used by `npm start` (when no CHAIN_RPC_URL is given), the benchmarks and the tests.
// The binary is started directly (not through npx) so there is one PID to stop.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { stopChild } from "./stopChild.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

// Hardhat's default development accounts (public test keys of the mnemonic
// "test test ... junk"): used only on a local chain this process started.
export const localChainAccounts = {
  deployer: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  buyer: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  wallet2: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  wallet3: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
} as const;

export type LocalChain = { rpcUrl: string; port: number; process: ChildProcess; stop(): Promise<void> };

export async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on("error", reject);
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
  if (preferred !== undefined) {
    try {
      return await tryListen(preferred);
    } catch {
      // taken: fall through to any free port
    }
  }
  return tryListen(0);
}

export async function startLocalChain(options: { port?: number; readyTimeoutMs?: number; intervalMiningMs?: number } = {}): Promise<LocalChain> {
  const port = options.port ?? (await freePort());
  const child = spawn(`${root}node_modules/.bin/hardhat`, ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: root,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output = (output + chunk).slice(-4000)));
  child.stderr!.on("data", (chunk) => (output = (output + chunk).slice(-4000)));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`hardhat node did not answer within the time limit:\n${output}`);
    }
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (options.intervalMiningMs) {
    // Blocks keep coming without transactions (as on a real chain), so rows reach finality.
    await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "evm_setIntervalMining", params: [options.intervalMiningMs] }),
    });
  }
  return {
    rpcUrl,
    port,
    process: child,
    stop: () => stopChild(child),
  };
}
