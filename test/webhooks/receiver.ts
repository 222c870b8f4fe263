// A webhook receiver for the suites and the benchmark: a node:http server that verifies each
// delivery with the documented snippet (docs/examples/verifyWebhook.ts), records what arrived in
// arrival order, and drops duplicates by event id as a real receiver would. `mode` makes it fail.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook, type WebhookEvent } from "../../docs/examples/verifyWebhook.ts";

export type ReceiverMode = "ok" | "fail" | "accept_then_fail";

export type Receiver = {
  url: string;
  /** Every verified delivery, duplicates included, in arrival order. */
  arrivals: { event: WebhookEvent; at: number }[];
  /** Events kept after dropping duplicates by id, in the order first seen. */
  kept: WebhookEvent[];
  refused: string[];
  /** Every request as received (body bytes and signature header), for re-checking. */
  raw: { body: Buffer; signature: string | undefined }[];
  mode: ReceiverMode;
  secrets: string[];
  /** The receiver's clock in seconds (the suites simulate one). */
  nowSeconds?: () => number;
  close(): Promise<void>;
};

export async function startReceiver(secrets: string[], options: { path?: string } = {}): Promise<Receiver> {
  const seen = new Set<string>();
  const receiver: Receiver = {
    url: "",
    arrivals: [],
    kept: [],
    refused: [],
    raw: [],
    mode: "ok",
    secrets,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      receiver.raw.push({ body: Buffer.concat(chunks), signature: request.headers["keyledger-signature"] as string | undefined });
      if (receiver.mode === "fail") {
        response.writeHead(503).end("down");
        return;
      }
      let event: WebhookEvent;
      try {
        event = verifyWebhook(Buffer.concat(chunks), request.headers["keyledger-signature"], receiver.secrets, { nowSeconds: receiver.nowSeconds?.() });
      } catch (error) {
        receiver.refused.push((error as Error).message);
        response.writeHead(400).end("bad signature");
        return;
      }
      receiver.arrivals.push({ event, at: Date.now() });
      if (!seen.has(event.id)) {
        seen.add(event.id);
        receiver.kept.push(event);
      }
      // Processed, but the answer says otherwise: the platform sends it again (a duplicate).
      if (receiver.mode === "accept_then_fail") response.writeHead(500).end("oops");
      else response.writeHead(200).end("ok");
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${options.path ?? "/hooks"}`;
  return receiver;
}
