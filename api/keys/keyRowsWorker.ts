// The worker thread that builds an import's COPY chunks (keyCopyRows) while the import's own
// thread streams the previous chunk to the database: encryption and row building were half of
// the job's CPU in this process, and done in the same thread they left the database waiting on
// every round trip of a chunk's transaction (issue 21, bench:import).
//
// Protocol: one `init` (the data key and KeyRowsInput, cloned once), then `build` requests
// answered in order with the rows' bytes (their ArrayBuffer transferred, not copied). The data
// key stays in this process's memory, as in the thread that sent it; the IVs come from this
// thread's own CSPRNG draws (secretEncrypter), each fresh and used once.
import { parentPort } from "node:worker_threads";
import { secretEncrypter } from "./envelope.ts";
import { keyCopyRows, type KeyRowsInput } from "./keyCopyRows.ts";

export type KeyRowsRequest = { kind: "init"; dataKey: Uint8Array; input: KeyRowsInput } | { kind: "build"; start: number; end: number };
export type KeyRowsReply = { kind: "rows"; start: number; rows: Uint8Array } | { kind: "error"; message: string };

if (!parentPort) throw new Error("keyRowsWorker.ts runs as a worker thread (startKeyRowsWorker).");
const port = parentPort;
let built: { input: KeyRowsInput; encrypt: (plaintext: string, aad: string) => Buffer } | undefined;
port.on("message", (request: KeyRowsRequest) => {
  try {
    if (request.kind === "init") {
      built = { input: request.input, encrypt: secretEncrypter(request.dataKey) };
      return;
    }
    if (!built) throw new Error("Invariant: build before init.");
    const rows = keyCopyRows(built.input, built.encrypt, request.start, request.end);
    // A copy into its own ArrayBuffer, which is then moved to the import's thread.
    const owned = new Uint8Array(rows);
    port.postMessage({ kind: "rows", start: request.start, rows: owned } satisfies KeyRowsReply, [owned.buffer]);
  } catch (error) {
    port.postMessage({ kind: "error", message: error instanceof Error ? error.message : String(error) } satisfies KeyRowsReply);
  }
});
