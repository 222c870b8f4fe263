// `npm start`: everything on one machine. See README "Running it".
import { startPlatform } from "./lib/platform.ts";

const platform = await startPlatform({ env: process.env });
const { logins } = platform;
process.stdout.write(`
Keyledger is running.
  Shop (web):       ${platform.url}/
  Demo shop:        ${platform.url}/shop/demo
  Verify a key:     ${platform.url}/verify
  API docs:         ${platform.url}/api/docs   (OpenAPI: ${platform.url}/api/openapi.json)
  Local chain RPC:  ${platform.rpcUrl}
  Contracts:        ${Object.entries(platform.chainAddresses)
    .map(([name, address]) => `${name}=${address}`)
    .join(" ")}

Demo logins (email / password):
${Object.entries(logins)
  .map(([role, login]) => `  ${role.padEnd(9)} ${login.email} / ${login.password}`)
  .join("\n")}

Press Ctrl+C to stop.
`);

// Ctrl+C (or a service manager's SIGTERM) stops every part in order, saying so: the chain,
// Redis and the HTTP listener would otherwise seem to vanish without a word. A second signal
// while stopping ends the process at once.
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (stopping) {
      process.stdout.write("Stopped before every part had finished stopping.\n", () => process.exit(130));
      return;
    }
    stopping = true;
    process.stdout.write(`\nStopping Keyledger (${signal})...\n`);
    void platform.stop().then(
      // Exit once the line is written: a write to a pipe completes later, and exiting at once
      // would drop it.
      () => process.stdout.write("Keyledger stopped.\n", () => process.exit(0)),
      (error: unknown) => {
        process.stderr.write(`Keyledger did not stop cleanly: ${(error as Error).message}\n`, () => process.exit(1));
      },
    );
  });
}
