import { fork } from "node:child_process";
import { KeepAliveConnection } from "/work/main/scripts/bench/sale/keepAliveConnection.ts";
for (const mode of (process.env.MODES ?? "express").split(",")) {
  const child = fork("/work/main/.mb/server.ts", [mode], { execArgv: process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/mbprof"] : [], stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const port = await new Promise<string>((r) => child.stdout!.once("data", (d) => r(String(d).trim())));
  const cpu = () => new Promise<number>((r) => { child.once("message", (m) => r(m as number)); child.send("cpu"); });
  let n = 0; const end = Date.now() + 3000; const c0 = await cpu();
  await Promise.all(Array.from({ length: 32 }, async () => { const c = new KeepAliveConnection(`http://127.0.0.1:${port}`); while (Date.now() < end) { await c.request("GET", "/api/orders/ORD123?token=abc&waitSeconds=5"); n++; } c.close(); }));
  const c1 = await cpu(); child.kill('SIGINT');
  console.log(mode, "requests", n, "server_cpu_ms_per_request", ((c1 - c0) / n).toFixed(3));
}
