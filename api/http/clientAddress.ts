// The client's address as Express computes `req.ip` with the app's "trust proxy" setting, for
// the lean routes that answer ahead of Express (api/http/leanRoutes.ts): both paths must count a
// client under the same address (per-address limits of checkouts and throttles).
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";

/** Express's "trust proxy": only a proxy on this machine may name the client (X-Forwarded-For). */
export const trustedProxies = "loopback";

type ProxyAddr = ((req: IncomingMessage, trust: (address: string, hop: number) => boolean) => string) & {
  compile(values: string | string[]): (address: string, hop: number) => boolean;
};

// proxy-addr is what Express itself uses for req.ip; it ships no types, hence the require.
const proxyaddr = createRequire(import.meta.url)("proxy-addr") as ProxyAddr;
const trust = proxyaddr.compile(trustedProxies);

export function clientAddressOf(req: IncomingMessage): string | undefined {
  return req.socket.remoteAddress === undefined ? undefined : proxyaddr(req, trust);
}
