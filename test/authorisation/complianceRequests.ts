// The authorisation matrix's requests for the compliance routes (docs/compliance.md). Alerts are
// written directly for shop A (the rules have their own suites); an allowed decision or release
// takes a fresh one so concurrent cells never decide the same alert. Every person of the world has
// an open legal hold before asking to erase themselves: the matrix shows who may ask (409
// erasure_refused is the answer of a valid caller) without erasing the world's people.
import { randomBytes } from "node:crypto";
import { queryOne, sql } from "../../core/store/database.ts";
import type { Call, Cell, RowRequests } from "./requests.ts";
import type { World } from "./world.ts";

const get = (path: string): Call => ({ method: "GET", path });

async function newAlert(w: World): Promise<string> {
  const row = await queryOne<{ id: string }>(
    w.platform.database.db,
    sql`INSERT INTO aml_alerts (rule, dedupe_key, shop_id, currency, amount_minor) VALUES ('structuring', ${`matrix-${randomBytes(6).toString("hex")}`}, ${BigInt(w.shopA.shopId)}, 'CNY', 1)
        RETURNING id::text`,
  );
  return row!.id;
}

const fixtures = new WeakMap<World, Promise<string>>();
const alertOf = (w: World) => {
  let made = fixtures.get(w);
  if (!made) {
    made = newAlert(w);
    fixtures.set(w, made);
  }
  return made;
};

async function throwawayAccount(w: World): Promise<bigint> {
  const row = await queryOne<{ id: string }>(
    w.platform.database.db,
    sql`INSERT INTO accounts (email, password_hash) VALUES (${`erase-${randomBytes(6).toString("hex")}@example.com`}, 'x') RETURNING id::text`,
  );
  return BigInt(row!.id);
}

export const complianceRequests: Record<string, RowRequests> = {
  "GET /api/admin/aml/alerts": { build: () => get("/api/admin/aml/alerts") },
  "GET /api/admin/aml/alerts/{alertId}": { build: async (w) => get(`/api/admin/aml/alerts/${await alertOf(w)}`) },
  "POST /api/admin/aml/alerts/{alertId}/decision": {
    build: async (w, cell: Cell) => ({
      method: "POST",
      path: `/api/admin/aml/alerts/${cell.allowed ? await newAlert(w) : await alertOf(w)}/decision`,
      body: { decision: "clear", reason: "matrix" },
    }),
    probe: "SELECT count(*)::text FROM aml_decisions",
  },
  "GET /api/admin/aml/export": { build: () => get("/api/admin/aml/export") },
  "GET /api/admin/aml/export/csv": { build: () => get("/api/admin/aml/export/csv") },
  "GET /api/admin/aml/flagged-wallets": { build: () => get("/api/admin/aml/flagged-wallets") },
  "PUT /api/admin/aml/flagged-wallets/{address}": {
    build: (_w, cell) => ({
      method: "PUT",
      path: `/api/admin/aml/flagged-wallets/0x${randomBytes(20).toString("hex")}`,
      body: { reason: cell.allowed ? "matrix" : "refused" },
    }),
    probe: "SELECT count(*)::text FROM aml_flagged_wallets",
  },
  "DELETE /api/admin/aml/flagged-wallets/{address}": {
    build: async (w) => {
      const address = `0x${randomBytes(20).toString("hex")}`;
      await w.platform.database.db.execute(sql`INSERT INTO aml_flagged_wallets (address, reason) VALUES (${address}, 'matrix')`);
      return { method: "DELETE", path: `/api/admin/aml/flagged-wallets/${address}` };
    },
    probe: "SELECT count(*)::text FROM aml_flagged_wallets WHERE reason <> 'matrix'",
  },
  "GET /api/account/data-export": { build: () => get("/api/account/data-export") },
  "POST /api/account/erasure": {
    build: async (w, cell) => {
      if (cell.role !== "guest") {
        const person = w.people[cell.role];
        await w.platform.database.db.execute(
          sql`INSERT INTO legal_holds (account_id, reason, placed_by) SELECT ${person.accountId}, 'matrix', ${person.accountId}
              WHERE NOT EXISTS (SELECT 1 FROM legal_holds WHERE account_id = ${person.accountId} AND released_at IS NULL)`,
        );
      }
      return { method: "POST", path: "/api/account/erasure", body: { confirm: "erase my data" } };
    },
    probe: "SELECT count(*)::text FROM data_erasures",
  },
  "POST /api/admin/accounts/{accountId}/erasure": {
    build: async (w) => ({ method: "POST", path: `/api/admin/accounts/${await throwawayAccount(w)}/erasure` }),
    probe: "SELECT count(*)::text FROM data_erasures",
  },
  "POST /api/admin/accounts/{accountId}/legal-holds": {
    build: async (w) => ({ method: "POST", path: `/api/admin/accounts/${await throwawayAccount(w)}/legal-holds`, body: { reason: "matrix" } }),
    probe: "SELECT count(*)::text FROM legal_holds",
  },
  "POST /api/admin/legal-holds/{holdId}/release": {
    build: async (w) => {
      const account = await throwawayAccount(w);
      const hold = await queryOne<{ id: string }>(
        w.platform.database.db,
        sql`INSERT INTO legal_holds (account_id, reason, placed_by) VALUES (${account}, 'matrix', ${account}) RETURNING id::text`,
      );
      return { method: "POST", path: `/api/admin/legal-holds/${hold!.id}/release` };
    },
    probe: "SELECT count(*)::text FROM legal_holds WHERE released_at IS NOT NULL",
  },
};
