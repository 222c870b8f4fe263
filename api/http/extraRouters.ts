// Routers owned by other parts (the ledger, the indexer's chain records, resale), mounted
// under /api by the app. Each part adds its router here with one line.
import type { Router } from "express";
import type { AppContext } from "../context.ts";
import { chainRouter } from "./routes/chain.ts";
import { ledgerRouter } from "./routes/ledger.ts";
import { requireSetting } from "../../core/config.ts";
import { rentalsRouter } from "./routes/rentals.ts";
import { resaleRouter } from "./routes/resale.ts";
import { reviewsRouter } from "./routes/reviews.ts";
import { searchRouter } from "./routes/search.ts";
import { walletsRouter } from "./routes/wallets.ts";
import { ticketsRouter } from "./routes/tickets.ts";
import { recommendationsRouter } from "./routes/recommendations.ts";
import { subscriptionsRouter } from "./routes/subscriptions.ts";
import { groupbuyRouter } from "./routes/groupbuy.ts";
import { balanceRouter } from "./routes/balance.ts";

export function extraRouters(ctx: AppContext): Router[] {
  const queryPasswordPepper = requireSetting(ctx.config.secrets.queryPasswordPepper, "QUERY_PASSWORD_PEPPER", "Resale holder ids are derived from it.");
  return [
    ledgerRouter(ctx),
    resaleRouter(ctx, { queryPasswordPepper }),
    walletsRouter(ctx),
    chainRouter(ctx),
    searchRouter(ctx),
    reviewsRouter(ctx),
    ticketsRouter(ctx),
    rentalsRouter(ctx, { queryPasswordPepper }),
    recommendationsRouter(ctx),
    subscriptionsRouter(ctx),
    balanceRouter(ctx),
    groupbuyRouter(ctx, { queryPasswordPepper }),
  ];
}
