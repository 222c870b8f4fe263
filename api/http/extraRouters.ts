// Routers owned by other parts (the ledger, the indexer's chain records, resale), mounted
// under /api by the app. Each part adds its router here with one line.
import type { Router } from "express";
import type { AppContext } from "../context.ts";
import { chainRouter } from "./routes/chain.ts";
import { ledgerRouter } from "./routes/ledger.ts";
import { requireSetting } from "../../core/config.ts";
import { rentalsRouter } from "./routes/rentals.ts";
import { resaleRouter } from "./routes/resale.ts";
import { walletsRouter } from "./routes/wallets.ts";

export function extraRouters(ctx: AppContext): Router[] {
  const queryPasswordPepper = requireSetting(ctx.config.secrets.queryPasswordPepper, "QUERY_PASSWORD_PEPPER", "Resale holder ids are derived from it.");
  return [ledgerRouter(ctx), resaleRouter(ctx, { queryPasswordPepper }), walletsRouter(ctx), chainRouter(ctx), rentalsRouter(ctx, { queryPasswordPepper })];
}
