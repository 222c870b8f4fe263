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
  Contracts:        ${Object.entries(platform.chainAddresses).map(([name, address]) => `${name}=${address}`).join(" ")}

Demo logins (email / password):
${Object.entries(logins).map(([role, login]) => `  ${role.padEnd(9)} ${login.email} / ${login.password}`).join("\n")}

Press Ctrl+C to stop.
`);

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    void platform.stop().then(() => process.exit(0));
  });
}
