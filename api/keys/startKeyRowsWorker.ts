// Starts keyRowsWorker.ts for one import: `rows(start, end)` asks for a chunk and resolves with
// its COPY bytes; requests are answered in the order they were made, so the import can ask for
// the next chunks before it writes the current one. `close()` ends the thread (always, in a
// finally: a thread left running would hold the data key and the process open).
import { Worker } from "node:worker_threads";
import type { KeyRowsInput } from "./keyCopyRows.ts";
import type { KeyRowsReply, KeyRowsRequest } from "./keyRowsWorker.ts";

export type KeyRowsWorker = { rows(start: number, end: number): Promise<Buffer>; close(): Promise<void> };

export function startKeyRowsWorker(dataKey: Uint8Array, input: KeyRowsInput): KeyRowsWorker {
  const worker = new Worker(new URL("./keyRowsWorker.ts", import.meta.url));
  const waiting: { start: number; resolve: (rows: Buffer) => void; reject: (error: Error) => void }[] = [];
  let failure: Error | undefined;
  const failAll = (error: Error): void => {
    failure ??= error;
    for (const request of waiting.splice(0)) request.reject(failure);
  };
  worker.on("message", (reply: KeyRowsReply) => {
    if (reply.kind === "error") return failAll(new Error(`The key rows worker failed: ${reply.message}`));
    const request = waiting.shift();
    if (!request || request.start !== reply.start) return failAll(new Error(`Invariant: rows of ${reply.start} answered out of order.`));
    request.resolve(Buffer.from(reply.rows.buffer, reply.rows.byteOffset, reply.rows.byteLength));
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`The key rows worker exited (code ${code}) with chunks still asked for.`)));
  worker.postMessage({ kind: "init", dataKey, input } satisfies KeyRowsRequest);
  return {
    rows(start, end) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiting.push({ start, resolve, reject });
        worker.postMessage({ kind: "build", start, end } satisfies KeyRowsRequest);
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
