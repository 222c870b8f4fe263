// `npm start`: everything on one machine. See README "Running it".
import { startPlatform } from "./lib/platform.ts";

// A part lost for good (the local chain died) stops everything: see stop() below.
let lostBeforeStarted: string | undefined;
let onLost = (reason: string) => {
  lostBeforeStarted = reason;
};
const platform = await startPlatform({ env: process.env, onLost: (reason) => onLost(reason) });
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
// Redis and the HTTP listener would otherwise seem to vanish without a word. Requests in flight
// finish and kept-alive clients are told to close (core/shutdown.ts; the log has each part's
// duration); SHUTDOWN_DEADLINE_MS bounds the whole. A second signal while stopping ends the
// process at once.
let stopping = false;
function stop(reason: string, exitCode: number): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\nStopping Keyledger (${reason})...\n`);
  void platform.stop(reason).then(
    // Exit once the line is written: a write to a pipe completes later, and exiting at once
    // would drop it.
    (outcome) =>
      outcome.exitCode === 0
        ? process.stdout.write("Keyledger stopped.\n", () => process.exit(exitCode))
        : process.stderr.write(`Keyledger stopped with parts unfinished (see the log; SHUTDOWN_DEADLINE_MS bounds the stop).\n`, () => process.exit(1)),
    (error: unknown) => {
      process.stderr.write(`Keyledger did not stop cleanly: ${(error as Error).message}\n`, () => process.exit(1));
    },
  );
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (stopping) {
      process.stdout.write("Stopped before every part had finished stopping.\n", () => process.exit(130));
      return;
    }
    stop(signal, 0);
  });
}
onLost = (reason) => {
  process.stderr.write(`Keyledger cannot run on: ${reason}.\n`);
  stop("a part was lost", 1);
};
if (lostBeforeStarted) onLost(lostBeforeStarted);
