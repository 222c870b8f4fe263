// The platform's view log (docs/disputes.md, "Evidence"): each time a code is shown to its
// holder, the time, a coarse network region and a device class. Stored minimally on purpose:
// never the address, only its /16 (IPv4) or /32 (IPv6) prefix, and never the user agent, only
// one of five classes.
import { isIPv4, isIPv6 } from "node:net";
import { integerArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { sql, type Drizzle } from "../../../core/store/database.ts";

export type DeviceClass = "mobile" | "tablet" | "desktop" | "bot" | "unknown";

/** The class of device a user agent names; "unknown" when it says nothing recognisable. */
export function deviceClassOf(userAgent: string | undefined): DeviceClass {
  if (!userAgent) return "unknown";
  if (/bot|crawler|spider|curl|wget|python-requests|headless/i.test(userAgent)) return "bot";
  if (/ipad|tablet|kindle|silk|playbook/i.test(userAgent) || (/android/i.test(userAgent) && !/mobile/i.test(userAgent))) return "tablet";
  if (/mobi|iphone|ipod|android|windows phone/i.test(userAgent)) return "mobile";
  if (/windows|macintosh|mac os x|linux|cros|x11/i.test(userAgent)) return "desktop";
  return "unknown";
}

/** The network an address belongs to, coarsely: "203.0.0.0/16" or "2001:db8::/32"; null when it is not an address. */
export function networkRegionOf(address: string | undefined): string | null {
  if (!address) return null;
  const mapped = address.startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(mapped)) {
    const [a, b] = mapped.split(".");
    return `${a}.${b}.0.0/16`;
  }
  if (isIPv6(mapped)) {
    const groups = expandIpv6(mapped);
    return `${groups[0]}:${groups[1]}::/32`;
  }
  return null;
}

function expandIpv6(address: string): string[] {
  const [head, tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = Array(Math.max(0, 8 - left.length - right.length)).fill("0");
  return [...left, ...(address.includes("::") ? zeros : []), ...right].map((group) => (group === "" ? "0" : group.toLowerCase().replace(/^0+(?=.)/, "")));
}

export async function recordEntitlementViews(
  db: Drizzle,
  parameters: { entitlementIds: bigint[]; address: string | undefined; userAgent: string | undefined; channel: "order" | "wallet" },
): Promise<void> {
  if (parameters.entitlementIds.length === 0) return;
  await db.execute(
    sql`INSERT INTO entitlement_views (entitlement_id, network_region, device_class, channel)
        SELECT id, ${networkRegionOf(parameters.address)}, ${deviceClassOf(parameters.userAgent)}, ${parameters.channel}
        FROM unnest(${integerArrayLiteral(parameters.entitlementIds.map(String))}::bigint[]) AS id`,
  );
}
