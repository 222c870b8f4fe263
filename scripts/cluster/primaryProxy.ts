// The address the cluster's processes know PostgreSQL's primary by: a TCP proxy that sends each
// new connection to whichever server accepts writes (`pg_is_in_recovery()` false), checked every
// `checkIntervalMs`. After the primary stops and the standby is promoted, new connections reach
// the new primary without any process being reconfigured or restarted; connections to the old
// one were cut with it, and the pools open new ones (core/store/database.ts).
//
// Why not libpq's `host=a,b target_session_attrs=read-write`: node-postgres takes one host (its
// connection strings are parsed by pg-connection-string, which keeps the first of a list) and
// has no target_session_attrs. In production the same role is played by the managed service's
// endpoint, a DNS name moved by the failover tool (Patroni, repmgr), or HAProxy with a check
// on pg_is_in_recovery(); this is the smallest such thing for one machine.
import { createServer, connect, type Server, type Socket } from "node:net";
import pg from "pg";

export type PrimaryProxy = {
  url(database?: string): string;
  port: number;
  /** The backend port new connections go to; undefined while no server accepts writes. */
  current(): number | undefined;
  /** Resolves once new connections go to `port` (or rejects after timeoutMs). */
  waitForPrimary(port: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
};

export async function startPrimaryProxy(parameters: { backends: number[]; port?: number; checkIntervalMs?: number }): Promise<PrimaryProxy> {
  const checkIntervalMs = parameters.checkIntervalMs ?? 200;
  let current: number | undefined;
  let closed = false;
  const sockets = new Set<Socket>();

  const acceptsWrites = async (port: number): Promise<boolean> => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", connectionTimeoutMillis: 1_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ recovering: boolean }>("SELECT pg_is_in_recovery() AS recovering");
      return rows[0]?.recovering === false;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };
  const check = async () => {
    const writable = await Promise.all(parameters.backends.map(acceptsWrites));
    // Stay with the current primary while it accepts writes; else the first that does.
    if (current !== undefined && writable[parameters.backends.indexOf(current)]) return;
    current = parameters.backends.find((_, index) => writable[index]);
  };
  await check();
  const loop = (async () => {
    while (!closed) {
      await new Promise((resolve) => setTimeout(resolve, checkIntervalMs));
      if (!closed) await check();
    }
  })();

  const server: Server = createServer((client) => {
    const target = current;
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(parameters.port ?? 0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  return {
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    current: () => current,
    async waitForPrimary(backend, timeoutMs) {
      const started = performance.now();
      while (current !== backend) {
        if (performance.now() - started > timeoutMs) throw new Error(`no primary at port ${backend} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return performance.now() - started;
    },
    async close() {
      closed = true;
      await loop;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
