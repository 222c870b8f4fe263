// `npm run bench:http`: what Express costs per request before any handler runs, the reason the
// sale's hot routes are answered from node:http (api/http/leanRoutes.ts). The same GET answered
// by node:http alone and by an Express app with this project's middleware, each in its own
// process, loaded by 32 kept-alive clients for BENCH_SECONDS (3) per round, two alternating
// rounds (the machine's speed drifts). The figure is the server's CPU per request.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { KeepAliveConnection } from "./sale/keepAliveConnection.ts";

const serverPath = fileURLToPath(new URL("./http/server.ts", import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const clients = 32;

async function cpuPerRequest(mode: "node-http" | "express"): Promise<number> {
  const child = fork(serverPath, [mode], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  try {
    const port = await new Promise<string>((resolve) => child.stdout!.once("data", (data) => resolve(String(data).trim())));
    const cpuMs = () =>
      new Promise<number>((resolve) => {
        child.once("message", (value) => resolve(value as number));
        child.send("cpu");
      });
    const deadline = Date.now() + seconds * 1000;
    let requests = 0;
    const before = await cpuMs();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const connection = new KeepAliveConnection(`http://127.0.0.1:${port}`);
        try {
          while (Date.now() < deadline) {
            const answer = await connection.request("GET", "/api/orders/KL0000000001?token=t");
            if (answer.status !== 200) throw new Error(`${mode} answered ${answer.status}`);
            requests += 1;
          }
        } finally {
          connection.close();
        }
      }),
    );
    return ((await cpuMs()) - before) / requests;
  } finally {
    child.kill();
  }
}

const totals = { "node-http": 0, express: 0 };
const rounds = 2;
for (let round = 1; round <= rounds; round++) {
  for (const mode of ["node-http", "express"] as const) {
    const value = await cpuPerRequest(mode);
    totals[mode] += value;
    process.stdout.write(`round_${round}_${mode.replace("-", "_")}_cpu_ms_per_request=${value.toFixed(3)}\n`);
  }
}
const nodeHttp = totals["node-http"] / rounds;
const viaExpress = totals.express / rounds;
process.stdout.write(`node_http_cpu_ms_per_request=${nodeHttp.toFixed(3)}\n`);
process.stdout.write(`express_cpu_ms_per_request=${viaExpress.toFixed(3)}\n`);
process.stdout.write(`express_overhead_ms_per_request=${(viaExpress - nodeHttp).toFixed(3)}\n`);
process.stdout.write(`express_vs_node_http_ratio=${(viaExpress / nodeHttp).toFixed(2)}\n`);
