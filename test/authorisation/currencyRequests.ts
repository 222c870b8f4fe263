// The authorisation matrix's requests for the currency routes (docs/currencies.md). A USD rate is
// put in the table on first use (as an admin would), so the conversion row converts shop A's CNY
// payable (which the payout row also draws on: 100 fen each, far below its sales).
import { sql } from "../../core/store/database.ts";
import { auditedChanges } from "./probes.ts";
import type { Call, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

const get = (path: string): Call => ({ method: "GET", path });
const shopA = (w: World) => w.shopA.shopId;

async function withUsdRate(w: World): Promise<void> {
  await w.platform.database.db.execute(
    sql`INSERT INTO fx_rates (currency, cny_per_unit, source) VALUES ('USD', 7.1, 'manual') ON CONFLICT (currency) DO NOTHING`,
  );
}

export const currencyRequests: Record<string, RowRequests> = {
  "GET /api/fx-rates": { build: () => get("/api/fx-rates") },
  "PUT /api/admin/fx-rates/{currency}": {
    build: () => ({ method: "PUT", path: "/api/admin/fx-rates/EUR", body: { cnyPerUnit: "7.7" } }),
    probe: auditedChanges,
  },
  // The world has no feed (FX_RATE_FEED_URL unset): the admin is told so (409 invalid_state).
  "POST /api/admin/fx-rates/refresh (no feed configured)": {
    build: () => ({ method: "POST", path: "/api/admin/fx-rates/refresh" }),
    probe: "SELECT count(*)::text FROM fx_rates WHERE source = 'feed'",
  },
  "GET /api/shops/{shopId}/currencies": { build: (w) => get(`/api/shops/${shopA(w)}/currencies`) },
  "PUT /api/shops/{shopId}/currencies": {
    build: (w, cell) => ({ method: "PUT", path: `/api/shops/${shopA(w)}/currencies`, body: { accepted: cell.allowed ? ["USD"] : ["EUR", "HKD"] } }),
    probe: "SELECT count(*)::text FROM shops WHERE 'HKD' = ANY (accepted_currencies)",
  },
  "POST /api/ledger/shops/{shopId}/conversions": {
    build: async (w) => {
      await withUsdRate(w);
      return { method: "POST", path: `/api/ledger/shops/${shopA(w)}/conversions`, body: { fromCurrency: "CNY", toCurrency: "USD", amountMinor: "100" } };
    },
    probe: "SELECT count(*)::text FROM ledger_transactions WHERE kind = 'fx_conversion'",
  },
};
