// `node scripts/withTestServices.ts <command> [args...]`: runs the command (scripts/test.sh runs
// mocha this way) with the services the suites need, started privately where missing (see
// scripts/lib/testServices.ts), and stops them when the command ends. Exits with its status.
import { spawn } from "node:child_process";
import os from "node:os";
import { MissingPiecesError } from "./lib/debianPackages.ts";
import { provideTestServices } from "./lib/testServices.ts";
import { testEnv } from "../test/support/env.ts";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write("usage: node scripts/withTestServices.ts <command> [args...]\n");
  process.exit(2);
}

let services: Awaited<ReturnType<typeof provideTestServices>>;
try {
  services = await provideTestServices(testEnv);
} catch (error) {
  // A missing piece is the user's to install: its message is the whole story, no stack.
  process.stderr.write(error instanceof MissingPiecesError ? error.message : `${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
  process.exit(1);
}

const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, ...services.env } });
// Ctrl+C reaches the command too (same process group); a signal sent to this process alone is
// passed on. Either way the services are stopped once the command has exited.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
const status = await new Promise<number>((resolve) => {
  child.on("error", (error) => {
    process.stderr.write(`keyledger: could not run ${command}: ${error.message}\n`);
    resolve(127);
  });
  child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
});
await services.stop();
process.exit(status);
