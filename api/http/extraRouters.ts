// Routers owned by other parts (the ledger, the indexer's chain records), mounted under /api.
import type { Router } from "express";
import type { AppContext } from "../context.ts";

export function extraRouters(_ctx: AppContext): Router[] {
  return [];
}
