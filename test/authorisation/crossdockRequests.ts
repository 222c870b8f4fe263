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
};
