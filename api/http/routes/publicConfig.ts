// What a browser needs to check things against the chain itself, without trusting us.
import { Router } from "express";
import type { AppContext } from "../../context.ts";
import { defineRoute } from "../route.ts";
import { publicConfigSchema } from "../responses/verify.ts";

export const publicConfigMountPath = "/api";

export function publicConfigRouter(ctx: AppContext): Router {
  const router = Router();
  defineRoute(
    router,
    publicConfigMountPath,
    {
      method: "get",
      path: "/config/public",
      summary: "The chain id, a browser-reachable RPC URL and the contract addresses",
      tags: ["verify"],
      auth: "public",
      response: publicConfigSchema,
    },
    async () => ({
      chainId: ctx.chain ? String(ctx.chain.chainId) : null,
      rpcUrl: ctx.config.chain.publicRpcUrl ?? null,
      contracts: ctx.chain
        ? {
            registry: ctx.chain.addresses.registry,
            entitlement: ctx.chain.addresses.entitlement,
            payment: ctx.chain.addresses.payment ?? null,
            stablecoin: ctx.chain.addresses.stablecoin ?? null,
            ledgerAnchor: ctx.chain.addresses.ledgerAnchor ?? null,
          }
        : null,
    }),
  );
  return router;
}
