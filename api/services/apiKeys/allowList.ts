// An API key's allow-list: CIDR networks, IPv4 and IPv6. Checked with node:net's BlockList. An
// IPv4 client that reaches a dual-stack listener appears as `::ffff:a.b.c.d`; it is matched as
// the IPv4 address it is, so a list of IPv4 networks works whatever the listener.
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { AppError } from "../../../core/errors.ts";

export type Network = { address: string; prefix: number; family: "ipv4" | "ipv6" };

/** Parses `a.b.c.d/n`, `x:y::/n` or a bare address (a /32 or /128); throws validation_failed with what to fix. */
export function parseNetwork(text: string): Network {
  const [address = "", prefixText, extra] = text.trim().split("/");
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  const bits = family === "ipv4" ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!family || extra !== undefined || !(prefix >= 0 && prefix <= bits)) {
    throw new AppError("validation_failed", `"${text}" is not an IP network: write an address or a CIDR such as 203.0.113.0/24 or 2001:db8::/32.`, {
      details: [{ location: "body", path: "allowedNetworks", code: "invalid_network", message: `not a network: ${text}` }],
    });
  }
  return { address, prefix, family };
}

function unmapped(address: string): string {
  const mapped = /^::ffff:([0-9.]+)$/i.exec(address);
  return mapped && isIPv4(mapped[1]!) ? mapped[1]! : address;
}

/** Whether `clientAddress` is inside one of `networks` (CIDR texts); an empty list allows every address. */
export function addressAllowed(networks: readonly string[], clientAddress: string | undefined): boolean {
  if (networks.length === 0) return true;
  if (!clientAddress) return false;
  const address = unmapped(clientAddress);
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
  if (!family) return false;
  const list = new BlockList();
  for (const text of networks) {
    const network = parseNetwork(text);
    list.addSubnet(network.address, network.prefix, network.family);
  }
  return list.check(address, family);
}
