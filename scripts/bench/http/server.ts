// One server for `npm run bench:http`: the same JSON answer from node:http alone, or through an
// Express app built as api/http/app.ts builds its own (helmet, the JSON body parser, a session
// middleware, a router of several routes). It reports its own CPU time when asked over IPC.
import http from "node:http";
import express from "express";
import helmet from "helmet";

const mode = process.argv[2];

function answerOf(orderId: string | undefined, token: unknown): string {
  return JSON.stringify({ id: orderId, token });
}

let listener: http.RequestListener;
if (mode === "express") {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(helmet());
  app.use("/api", express.json());
  app.use((_req, _res, next) => next()); // the session middleware's place
  const router = express.Router();
  for (let i = 0; i < 5; i++) router.get(`/other${i}/:id`, (_req, res) => void res.json({}));
  router.get("/orders/:orderId", (req, res) => {
    res.status(200).type("application/json").send(answerOf(req.params.orderId, req.query.token));
  });
  app.use("/api", router);
  listener = app as unknown as http.RequestListener;
} else {
  listener = (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const body = answerOf(url.pathname.split("/")[3], url.searchParams.get("token"));
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}

const server = http.createServer(listener);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on("message", () => {
  const usage = process.cpuUsage();
  process.send!((usage.user + usage.system) / 1000);
});
