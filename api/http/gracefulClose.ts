// Closing an HTTP server without dropping requests, within a deadline.
//
// server.close() alone stops accepting connections but leaves kept-alive ones open: in a soak, a
// client on such a connection went on being served for seconds (25 checkouts in 10.8 s) while
// new connections, such as the gateway's notifications, were refused. So, once closing starts,
// every answer carries `Connection: close` (Node then ends the connection after it), idle
// connections are closed at once and again whenever a request finishes, requests in flight
// finish, and at the deadline whatever is left is destroyed.
import type { Server, ServerResponse } from "node:http";
import type { ShutdownStep } from "../../core/shutdown.ts";

type ServerState = { inFlight: Set<ServerResponse>; closing: boolean };

const states = new WeakMap<Server, ServerState>();

/** Tracks the requests of `server` so that closeHttpServer can finish them; call it before listening. */
export function trackRequestsForClose(server: Server): Server {
  const state: ServerState = { inFlight: new Set(), closing: false };
  states.set(server, state);
  // Ahead of the application's handler, so the header is there whatever answers.
  server.prependListener("request", (_req, res: ServerResponse) => {
    if (state.closing) res.setHeader("connection", "close");
    state.inFlight.add(res);
    res.once("close", () => {
      state.inFlight.delete(res);
      // A connection whose answer went out before closing started (keep-alive) is idle now.
      if (state.closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  return server;
}

export type CloseHttpServerResult = {
  /** Requests in flight when closing started. */
  inFlightAtStart: number;
  /** Requests still running at the deadline, whose connections were destroyed. */
  cutOff: number;
};

/**
 * Stops accepting connections, closes idle ones, lets requests in flight finish (each answered
 * with `Connection: close`), and destroys what is left at `deadlineAt` (a Date.now() value).
 * Resolves once every connection is gone.
 */
export function closeHttpServer(server: Server, options: { deadlineAt: number }): Promise<CloseHttpServerResult> {
  const state = states.get(server);
  if (!state) throw new Error("closeHttpServer needs a server prepared with trackRequestsForClose (createHttpServer does it).");
  state.closing = true;
  const inFlightAtStart = state.inFlight.size;
  for (const res of state.inFlight) if (!res.headersSent) res.setHeader("connection", "close");
  return new Promise((resolve) => {
    let cutOff = 0;
    const timer = setTimeout(
      () => {
        cutOff = state.inFlight.size;
        server.closeAllConnections();
      },
      Math.max(0, options.deadlineAt - Date.now()),
    );
    server.close(() => {
      clearTimeout(timer);
      resolve({ inFlightAtStart, cutOff });
    });
    server.closeIdleConnections();
  });
}

/**
 * The HTTP server's step of a process's shutdown (core/shutdown.ts): closes it as above and
 * first wakes the order pages' long polls (`release`), which would otherwise hold it for up to
 * their timeout. Fails, so that the exit code says so, when requests had to be cut off.
 */
export function httpShutdownStep(server: Server, release: () => void): ShutdownStep {
  return {
    name: "http",
    async run(deadlineAt) {
      const closing = closeHttpServer(server, { deadlineAt });
      release();
      const result = await closing;
      if (result.cutOff > 0) throw new Error(`${result.cutOff} request(s) still running at the shutdown deadline were cut off.`);
      return result;
    },
  };
}
