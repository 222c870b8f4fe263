// One HTTP POST of a signed event to a receiver. Connections are kept alive per receiver (an
// endpoint's events go one after another, so one socket carries them all), the answer is read
// up to a bound (a receiver cannot make the dispatcher buffer megabytes), and a receiver that
// does not answer within the timeout fails the attempt. Every socket connects through the
// SSRF-guarded lookup (receiverAddress.ts); an IP literal is checked here.
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { guardedLookup, refusedAddressReason } from "./receiverAddress.ts";

export type SendSettings = { timeoutMs: number; responseBytesMax: number; allowLoopback: boolean };

export type SendOutcome = { ok: boolean; statusCode?: number; error?: string; responseExcerpt?: string; durationMs: number };

/** Characters of the answer kept in the delivery log. */
export const responseExcerptMax = 1024;

export type Sender = { send(url: string, body: string, headers: Record<string, string>): Promise<SendOutcome>; close(): void };

export function createSender(settings: SendSettings): Sender {
  const lookup = guardedLookup(settings.allowLoopback);
  const agentOptions = { keepAlive: true, maxSockets: 8, lookup };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  return {
    send(url, body, headers) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      return new Promise<SendOutcome>((resolve) => {
        let target: URL;
        try {
          target = new URL(url);
        } catch {
          resolve({ ok: false, error: "invalid_url", durationMs: 0 });
          return;
        }
        const host = target.hostname.replace(/^\[|\]$/g, "");
        if (isIP(host)) {
          const reason = refusedAddressReason(host, settings.allowLoopback);
          if (reason) {
            resolve({ ok: false, error: `refused_address: ${reason}`, durationMs: 0 });
            return;
          }
        }
        const secure = target.protocol === "https:";
        let settled = false;
        const finish = (outcome: Omit<SendOutcome, "durationMs">) => {
          if (settled) return;
          settled = true;
          resolve({ ...outcome, durationMs: elapsed() });
        };
        const request = (secure ? https : http).request(
          target,
          {
            method: "POST",
            agent: secure ? httpsAgent : httpAgent,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "Keyledger-Webhooks/1", ...headers },
            timeout: settings.timeoutMs,
          },
          (response) => {
            const statusCode = response.statusCode ?? 0;
            const chunks: Buffer[] = [];
            let length = 0;
            response.on("data", (chunk: Buffer) => {
              length += chunk.length;
              if (length > settings.responseBytesMax) {
                finish({ ok: false, statusCode, error: "response_too_large", responseExcerpt: excerpt(chunks) });
                response.destroy();
                request.destroy();
                return;
              }
              chunks.push(chunk);
            });
            response.on("end", () => finish({ ok: statusCode >= 200 && statusCode < 300, statusCode, responseExcerpt: excerpt(chunks) }));
            response.on("error", (error) => finish({ ok: false, statusCode, error: error.message }));
          },
        );
        // The whole exchange is bounded, not only idle gaps: a receiver trickling bytes fails too.
        const timer = setTimeout(() => {
          finish({ ok: false, error: "timeout" });
          request.destroy();
        }, settings.timeoutMs);
        request.on("close", () => clearTimeout(timer));
        request.on("timeout", () => {
          finish({ ok: false, error: "timeout" });
          request.destroy();
        });
        request.on("error", (error: NodeJS.ErrnoException) =>
          finish({ ok: false, error: error.code === "EWEBHOOKADDRESS" ? `refused_address: ${error.message}` : (error.code ?? error.message) }),
        );
        request.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function excerpt(chunks: Buffer[]): string {
  // NUL cannot be stored in a text column; the log shows the rest.
  return Buffer.concat(chunks).subarray(0, responseExcerptMax).toString("utf8").replaceAll("\u0000", "");
}
