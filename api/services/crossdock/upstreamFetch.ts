// The fetch the SDK uses to call an upstream Keyledger instance (docs/docking.md, "Across
// instances"). Every socket connects through the webhooks' SSRF-guarded lookup
// (webhooks/receiverAddress.ts): an upstream URL whose name resolves to loopback (production),
// a private, link-local or reserved address is refused at each connection, not only when the
// supplier was added, so a name that later resolves inward (DNS rebinding) reaches nothing. The
// answer is bounded in size and the whole exchange in time: an upstream cannot make this
// instance buffer megabytes or wait forever.
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { guardedLookup, refusedAddressReason } from "../webhooks/receiverAddress.ts";

export type UpstreamFetchSettings = { allowLoopback: boolean; timeoutMs: number; responseBytesMax: number };

export const upstreamFetchDefaults = { timeoutMs: 10_000, responseBytesMax: 1_048_576 } as const;

/** A fetch for openapi-fetch (sdk/ createKeyledgerClient's `fetch` option). */
export function createUpstreamFetch(settings: UpstreamFetchSettings): (request: Request) => Promise<Response> {
  const lookup = guardedLookup(settings.allowLoopback);
  return async (request) => {
    const target = new URL(request.url);
    const host = target.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host)) {
      const reason = refusedAddressReason(host, settings.allowLoopback);
      if (reason) throw Object.assign(new Error(`upstream ${host} is ${reason}`), { code: "EWEBHOOKADDRESS" });
    }
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (body) headers["content-length"] = String(body.length);
    const secure = target.protocol === "https:";
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outgoing.destroy();
        reject(error);
      };
      const outgoing = (secure ? https : http).request(target, { method: request.method, headers, lookup }, (incoming) => {
        const chunks: Buffer[] = [];
        let length = 0;
        incoming.on("data", (chunk: Buffer) => {
          length += chunk.length;
          if (length > settings.responseBytesMax) fail(new Error(`the upstream's answer exceeds ${settings.responseBytesMax} bytes`));
          else chunks.push(chunk);
        });
        incoming.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const status = incoming.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === "string") responseHeaders.set(name, value);
          resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
        incoming.on("error", fail);
      });
      // The whole exchange is bounded, not only idle gaps: an upstream trickling bytes fails too.
      const timer = setTimeout(() => fail(new Error(`the upstream did not answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
      outgoing.on("error", fail);
      outgoing.end(body);
    });
  };
}
