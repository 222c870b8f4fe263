// The authorisation matrix's requests for docking across instances (docs/docking.md, "Across
// instances"): a shop's remote suppliers are its merchant's. The "upstream" is the matrix's own
// platform, reached over HTTP with an API key of merchant B's; the admin's allowed call adds it to
// shop B, merchant A's to shop A, so both succeed (a shop has one supplier per URL).
import type { Call, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

const upstreamKeys = new WeakMap<World, Promise<string>>();
function upstreamKey(w: World): Promise<string> {
  if (!upstreamKeys.has(w))
    upstreamKeys.set(
      w,
      (async () => {
        const created = await w.shopB.merchant.post("/api/api-keys", { name: "matrix upstream", scopes: ["products:read", "orders:read", "orders:write"] });
        if (created.status !== 201) throw new Error(`api key answered ${created.status}: ${created.text}`);
        return created.body.secret as string;
      })(),
    );
  return upstreamKeys.get(w)!;
}

export const crossdockRequests: Record<string, RowRequests> = {
  "POST /api/shops/{shopId}/docking/remote-suppliers": {
    build: async (w, cell): Promise<Call> => ({
      method: "POST",
      path: `/api/shops/${cell.role === "admin" ? w.shopB.shopId : w.shopA.shopId}/docking/remote-suppliers`,
      body: { url: w.platform.url, apiKey: await upstreamKey(w) },
    }),
    probe: "SELECT count(*)::text FROM remote_suppliers",
  },
  "GET /api/shops/{shopId}/docking/remote-suppliers": { build: (w) => ({ method: "GET", path: `/api/shops/${w.shopA.shopId}/docking/remote-suppliers` }) },
  // Shop A has no remote supplier of this number: its merchant (and an admin) get 404, others 403.
  "POST /api/shops/{shopId}/docking/remote-listings": {
    build: (w): Call => ({
      method: "POST",
      path: `/api/shops/${w.shopA.shopId}/docking/remote-listings`,
      body: { remoteSupplierId: "999999999", remoteProductId: "1", name: "Matrix remote listing", priceMinor: "1500" },
    }),
    probe: "SELECT count(*)::text FROM products WHERE remote_supplier_id IS NOT NULL",
  },
  // Buyer A's order, paid already by another provider: its buyer is refused by the order's state (409), everyone else sees no order.
  "POST /api/orders/{orderId}/pay-from-balance": {
    build: (w): Call => ({ method: "POST", path: `/api/orders/${w.orderA.id}/pay-from-balance`, body: {} }),
    probe: "SELECT count(*)::text FROM payments WHERE provider = 'balance'",
  },
  // Buyer A's order was not bought from a remote supplier: its buyer gets 404, the shop and staff 403 (the salts are the buyer's).
  "GET /api/orders/{orderId}/provenance": {
    build: (w, cell): Call => ({
      method: "GET",
      path: `/api/orders/${w.orderA.id}/provenance`,
      ...(cell.role === "guest" ? { headers: { "x-order-token": w.guest.token } } : {}),
    }),
  },
};
