import http from "node:http";
import express from "express";
import helmet from "helmet";
const mode = process.argv[2];
let handler: http.RequestListener;
if (mode.startsWith("express")) {
  const app = express();
  app.disable("x-powered-by"); app.set("etag", false);
  if (mode.includes("helmet")) app.use(helmet());
  app.get("/healthz", (_q, r) => { r.json({ ok: true }); });
  if (mode.includes("json")) app.use("/api", express.json());
  app.use((req, _res, next) => { next(); }); // session loader stand-in
  const router = express.Router();
  for (let i = 0; i < 5; i++) router.get(`/x${i}/:id`, (_q, r) => { r.json({}); });
  router.get("/orders/:orderId", (req, res) => { res.status(200).type("application/json").send(JSON.stringify({ id: req.params.orderId, q: req.query.token })); });
  app.use("/api", router);
  handler = app as unknown as http.RequestListener;
} else {
  handler = (req, res) => {
    const url = new URL(req.url!, "http://x");
    const body = JSON.stringify({ id: url.pathname.split("/")[3], q: url.searchParams.get("token") });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}
const server = http.createServer({ keepAliveTimeout: 60000 }, handler);
server.listen(0, () => { process.stdout.write(`${(server.address() as any).port}\n`); });
process.on("message", () => { const u = process.cpuUsage(); process.send!((u.user + u.system) / 1000); });
process.on("SIGINT", () => process.exit(0));
