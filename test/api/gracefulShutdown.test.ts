// SIGTERM to the API process (api/main.ts), as a service manager sends it: a client on a
// kept-alive connection gets the answer to its request in flight, with `Connection: close`, and
// is served nothing more; new connections are refused; the process exits once the request is
// done, long before the deadline; a request that never completes is cut off at the deadline and
// the process exits then. Raw sockets, so the test sees exactly what a client sees.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { deleteRedisKeys } from "../../scripts/lib/deleteRedisKeys.ts";
import { freePort } from "../../scripts/lib/localChain.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { testEnv } from "../support/env.ts";
import { waitFor } from "../support/platform.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

type ApiProcess = { child: ChildProcess; port: number; log: () => string; exited: Promise<{ code: number | null; at: number }> };

async function startApi(
  database: TestDatabase,
  queuePrefix: string,
  deadlineMs: number,
  entry = "api/main.ts",
  ready = '"api listening"',
): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(`${root}node_modules/.bin/node`, [`${root}${entry}`], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: database.url!,
      REDIS_URL: testEnv.redisUrl,
      QUEUE_PREFIX: queuePrefix,
      MASTER_KEY: randomBytes(32).toString("hex"),
      QUERY_PASSWORD_PEPPER: randomBytes(32).toString("hex"),
      PORT: String(port),
      SHUTDOWN_DEADLINE_MS: String(deadlineMs),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (chunk) => (log += chunk));
  child.stderr!.on("data", (chunk) => (log += chunk));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once("exit", (code) => resolve({ code, at: performance.now() })));
  await waitFor(`${entry} ready`, async () => log.includes(ready) || (child.exitCode !== null && Promise.reject(new Error(log))), 60_000, 50);
  return { child, port, log: () => log, exited };
}

/** Reads one HTTP/1.1 answer with a Content-Length from a socket. */
function readAnswer(socket: Socket): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let data = "";
    const onData = (chunk: Buffer) => {
      data += chunk.toString("latin1");
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = data.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (data.length < end + 4 + length) return;
      socket.off("data", onData);
      socket.off("close", onClose);
      resolve({ head, body: data.slice(end + 4, end + 4 + length) });
    };
    const onClose = () => reject(new Error(`connection closed before a full answer: ${JSON.stringify(data)}`));
    socket.on("data", onData);
    socket.once("close", onClose);
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

const connectionHeader = (head: string) => /\r\nconnection: *([^\r]*)/i.exec(head)?.[1]?.toLowerCase();

describe("API process: graceful shutdown on SIGTERM", function () {
  this.timeout(180_000);
  let database: TestDatabase;
  const queuePrefix = `kltest-${randomBytes(4).toString("hex")}`;
  const children: ChildProcess[] = [];

  before(async () => {
    database = await createServerDatabase({ poolSizeMax: 2 });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await database?.drop();
    await deleteRedisKeys(testEnv.redisUrl, queuePrefix);
  });

  it("answers a kept-alive client's request in flight with Connection: close, refuses new connections and exits before the deadline", async () => {
    const deadlineMs = 8_000;
    const api = await startApi(database, queuePrefix, deadlineMs);
    children.push(api.child);
    const socket = await openSocket(api.port);
    const closedByServer = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const before = await readAnswer(socket);
    expect(connectionHeader(before.head), before.head).to.equal("keep-alive");

    // A request in flight: its body half sent when the signal arrives.
    const body = JSON.stringify({ productId: "1", quantity: 1, contact: "late@example.com", queryPassword: "shutdown-pass" });
    const half = Math.floor(body.length / 2);
    socket.write(
      `POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = performance.now();
    api.child.kill("SIGTERM");
    await waitFor("the shutdown logged", async () => api.log().includes('"shutdown_started"'), 10_000, 10);

    const refused = await openSocket(api.port).then(
      (late) => {
        late.destroy();
        return "accepted";
      },
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(refused, "a new connection after the signal").to.equal("ECONNREFUSED");

    const answerOfInFlight = readAnswer(socket);
    socket.write(body.slice(half));
    const answer = await answerOfInFlight;
    expect(answer.head).to.match(/^HTTP\/1\.1 [2-4]\d\d /);
    expect(connectionHeader(answer.head), answer.head).to.equal("close");
    await closedByServer;

    const { code, at } = await api.exited;
    expect(code, api.log()).to.equal(0);
    expect(at - signalledAt, "exit after the signal, ms").to.be.lessThan(deadlineMs / 2);
    const finished = api
      .log()
      .split("\n")
      .find((line) => line.includes('"shutdown_finished"'));
    expect(finished, api.log()).to.be.a("string");
    const durations = JSON.parse(finished!) as { durationMs: number; stepDurationsMs: Record<string, number> };
    expect(Object.keys(durations.stepDurationsMs)).to.deep.equal(["http", "clients"]);
    expect(durations.durationMs).to.be.a("number");
  });

  it("cuts a request that never completes off at the deadline and exits then", async () => {
    const deadlineMs = 1_500;
    const api = await startApi(database, queuePrefix, deadlineMs);
    children.push(api.child);
    const socket = await openSocket(api.port);
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now())));
    socket.on("error", () => {});
    // Ten bytes of a hundred: the request stays in flight for as long as the client waits.
    socket.write('POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"product');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = performance.now();
    api.child.kill("SIGTERM");
    const { code, at } = await api.exited;
    const closedAt = await closed;
    expect(code, api.log()).to.equal(1);
    expect(at - signalledAt, "exit after the signal, ms").to.be.within(deadlineMs - 50, deadlineMs + 1_500);
    expect(closedAt - signalledAt, "the stuck connection closed, ms").to.be.within(deadlineMs - 50, deadlineMs + 1_500);
    expect(api.log()).to.include("1 request(s) still running at the shutdown deadline were cut off");
  });

  it("stops a workers process the same way: start and end logged, each step timed, exit 0", async () => {
    const workers = await startApi(database, queuePrefix, 8_000, "api/jobs/main.ts", '"workers running"');
    children.push(workers.child);
    workers.child.kill("SIGTERM");
    const { code } = await workers.exited;
    expect(code, workers.log()).to.equal(0);
    const lines = workers
      .log()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { code?: string; stepDurationsMs?: Record<string, number> });
    expect(lines.some((line) => line.code === "shutdown_started")).to.equal(true);
    const finished = lines.find((line) => line.code === "shutdown_finished");
    expect(Object.keys(finished?.stepDurationsMs ?? {})).to.deep.equal(["workers", "clients"]);
  });
});
