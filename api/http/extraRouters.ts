// Routers owned by other parts (the ledger, the indexer's chain records, resale), mounted
// under /api by the app. Each part adds its router here with one line.
import type { Router } from "express";
import type { AppContext } from "../context.ts";
import { ledgerRouter } from "./routes/ledger.ts";

export function extraRouters(ctx: AppContext): Router[] {
  return [ledgerRouter(ctx)];
}
