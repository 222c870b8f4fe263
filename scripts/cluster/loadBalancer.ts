// The cluster's HTTP entry: a small round-robin load balancer in front of the API processes
// (what nginx, HAProxy or a cloud load balancer does at scale). Why not Node's cluster module:
// its workers share one parent, and the drills kill one API process to show the other serving;
// separate processes behind a balancer are how the API runs at scale anyway.
//
// A request that got no answer from one API process (refused, reset, the process killed) is
// sent to the next, once per backend, when it is safe to send twice: a GET or HEAD (reads, and
// the EPay notification, which is recorded once per trade), or a request with an
// Idempotency-Key (checkout answers a repeat with the first order). Anything else gets 502,
// as from any proxy. A backend that failed is skipped for `downMs`. Bodies are read whole before
// forwarding (the API's limit is 16 MB for imports), so a retry can send them again.
import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type LoadBalancer = {
  url: string;
  port: number;
  /** Requests answered 502 because no backend answered (the drills' api_failover_errors). */
  stats: { forwarded: number; retried: number; failed: number };
  close(): Promise<void>;
};

const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

export async function startLoadBalancer(parameters: { backends: string[]; port?: number; downMs?: number }): Promise<LoadBalancer> {
  const backends = parameters.backends.map((url) => ({ url: new URL(url), downUntil: 0 }));
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const stats = { forwarded: 0, retried: 0, failed: 0 };
  let next = 0;

  const order = (): typeof backends => {
    const now = Date.now();
    const start = next++ % backends.length;
    const rotated = [...backends.slice(start), ...backends.slice(0, start)];
    // Backends marked down come last: tried only when the others fail too.
    return [...rotated.filter((backend) => backend.downUntil <= now), ...rotated.filter((backend) => backend.downUntil > now)];
  };

  const forward = (backend: (typeof backends)[number], req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    new Promise<"answered" | "no_answer">((resolve) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
      headers["content-length"] = String(body.length);
      // The API reads the client address from X-Forwarded-For only behind a trusted proxy (TRUST_PROXY).
      headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
      const upstream = request({ host: backend.url.hostname, port: backend.url.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        const outgoing: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !hopByHop.has(name)) outgoing[name] = value;
        res.writeHead(answer.statusCode ?? 502, outgoing);
        answer.pipe(res);
        answer.on("error", () => res.destroy());
        resolve("answered");
      });
      upstream.on("error", () => resolve("no_answer"));
      // A client that goes away (a long poll given up) frees the upstream request too.
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const retryable = req.method === "GET" || req.method === "HEAD" || req.headers["idempotency-key"] !== undefined;
    const candidates = order();
    for (const [attempt, backend] of candidates.entries()) {
      if (attempt > 0) stats.retried += 1;
      const outcome = await forward(backend, req, body, res);
      if (outcome === "answered") {
        stats.forwarded += 1;
        return;
      }
      backend.downUntil = Date.now() + (parameters.downMs ?? 2_000);
      if (!retryable || res.headersSent) break;
    }
    stats.failed += 1;
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "bad_gateway", message: "No API process answered." }));
    } else res.destroy();
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(parameters.port ?? 0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
