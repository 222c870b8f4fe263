// The authorisation matrix's requests for receipts and tax rates (docs/saas.md, "Receipts and
// tax"): the receipt follows the order page's access rule; a shop's tax rates are its merchant's.
import { sql } from "../../core/store/database.ts";
import type { Call, Cell, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

const guestToken = (w: World, cell: Cell) => (cell.role === "guest" ? { headers: { "x-order-token": w.guest.token } } : {});
const get = (path: string): Call => ({ method: "GET", path });

export const receiptRequests: Record<string, RowRequests> = {
  "GET /api/orders/{orderId}/receipt": { build: (w, cell) => ({ ...get(`/api/orders/${w.orderA.id}/receipt?format=html&lang=en`), ...guestToken(w, cell) }) },
  "GET /api/orders/{orderId}/receipt (guest order)": {
    build: (w, cell) => ({ ...get(`/api/orders/${w.guest.id}/receipt?format=html&lang=zh-CN`), ...guestToken(w, cell) }),
  },
  "GET /api/ledger/shops/{shopId}/statements/{month}": {
    build: (w) => get(`/api/ledger/shops/${w.shopA.shopId}/statements/${new Date().toISOString().slice(0, 7)}?format=csv`),
  },
  "GET /api/shops/{shopId}/tax-rates": { build: (w) => get(`/api/shops/${w.shopA.shopId}/tax-rates`) },
  // A refused caller's rate (7.77%) must never be stored.
  "PUT /api/shops/{shopId}/tax-rates/{country}": {
    build: (w, cell) => ({ method: "PUT", path: `/api/shops/${w.shopA.shopId}/tax-rates/JP`, body: { rateBps: cell.allowed ? 1000 : 777, inclusive: true } }),
    probe: "SELECT count(*)::text FROM shop_tax_rates WHERE rate_bps = 777",
  },
  // The rate is set first, a country per role: the cells run at once, and the merchant's and
  // the admin's allowed removals must not race for one rate.
  "DELETE /api/shops/{shopId}/tax-rates/{country}": {
    build: async (w, cell) => {
      const country = cell.role === "admin" ? "FR" : cell.role === "merchant" ? "IT" : "ES";
      await w.platform.database.db.execute(
        sql`INSERT INTO shop_tax_rates (shop_id, country, rate_bps, inclusive) VALUES (${BigInt(w.shopA.shopId)}, ${country}, 2000, true) ON CONFLICT DO NOTHING`,
      );
      return { method: "DELETE", path: `/api/shops/${w.shopA.shopId}/tax-rates/${country}` };
    },
    probe: "SELECT count(*)::text FROM audit_log WHERE action = 'shop.tax_rate_removed'",
  },
};
