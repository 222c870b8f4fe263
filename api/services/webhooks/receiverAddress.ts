// Where a webhook may be delivered (SSRF): never to the platform's own network. An address in
// a loopback, private, link-local, shared, multicast or reserved range is refused, checked
// after DNS resolution both when an endpoint is created and at every connection (the socket
// connects to the address that was checked, so a name that resolves elsewhere later, DNS
// rebinding, gains nothing). Loopback is allowed outside production (development, the suites).
import { lookup as dnsLookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { AppError } from "../../../core/errors.ts";

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

const internal = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  internal.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  internal.addSubnet(network, prefix, "ipv6");

/** Why `address` may not receive webhooks, or undefined when it may. */
export function refusedAddressReason(address: string, allowLoopback: boolean): string | undefined {
  const family = isIP(address);
  if (family === 0) return "not an IP address";
  let type: "ipv4" | "ipv6" = family === 4 ? "ipv4" : "ipv6";
  let checked = address;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it maps.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) {
    checked = mapped[1]!;
    type = "ipv4";
  }
  if (loopback.check(checked, type)) return allowLoopback ? undefined : "a loopback address";
  if (internal.check(checked, type)) return "a private, link-local or reserved address";
  return undefined;
}

/** A `lookup` for node:http that resolves and refuses a name with any refused address. */
export function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const list = addresses as unknown as { address: string; family: number }[];
      for (const entry of list) {
        const reason = refusedAddressReason(entry.address, allowLoopback);
        if (reason) return callback(Object.assign(new Error(`webhook receiver ${hostname} resolves to ${reason}`), { code: "EWEBHOOKADDRESS" }), "", 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** Checks an endpoint's URL at creation: http(s), no credentials, every resolved address allowed. */
export async function assertReceiverUrl(raw: string, allowLoopback: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError("validation_failed", "The webhook URL is not a URL: give an absolute http(s) URL such as https://example.com/hooks.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new AppError("validation_failed", "The webhook URL must start with https:// (or http://).");
  if (url.username || url.password)
    throw new AppError("validation_failed", "The webhook URL must not carry credentials: the signature authenticates deliveries.");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  for (const address of addresses) {
    const reason = refusedAddressReason(address, allowLoopback);
    if (reason) throw new AppError("webhook_url_refused", `The webhook URL's host ${host} resolves to ${reason} (${address}); give a public address.`);
  }
  return url;
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) => {
      if (error) reject(new AppError("webhook_url_refused", `The webhook URL's host ${host} does not resolve (${error.code ?? error.message}).`));
      else resolve(addresses.map((entry) => entry.address));
    }),
  );
}
