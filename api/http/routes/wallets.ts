// Self-custody routes (docs/resale.md): link a wallet by Sign-In With Ethereum, withdraw a sealed
// entitlement to it, deposit a token back, and reveal a wallet-held token's code by an EIP-712
// signature of its holder.
import { Router, type Request } from "express";
import { z } from "zod";
import type { Hex } from "viem";
import type { ChainContext } from "../../chain/chainContext.ts";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import { creditDeposit } from "../../services/wallets/creditDeposit.ts";
import { issueSiweNonce, linkWallet } from "../../services/wallets/linkWallet.ts";
import { listLinkedWallets } from "../../services/wallets/listLinkedWallets.ts";
import { requestWithdrawal } from "../../services/wallets/requestWithdrawal.ts";
import { recordEntitlementViews } from "../../services/disputes/viewLog.ts";
import { revealByWalletSignature } from "../../services/wallets/revealByWalletSignature.ts";
import { revealDomain, revealTypes } from "../../services/wallets/revealTypedData.ts";
import { rentalNow } from "../../services/rentals/rentalClock.ts";
import { defineRoute } from "../route.ts";
import { idString } from "../schemas.ts";
import {
  creditedDepositsSchema,
  linkedWalletListSchema,
  linkedWalletSchema,
  revealTypedDataSchema,
  siweNonceSchema,
  walletRevealSchema,
  withdrawalSchema,
} from "../responses/wallets.ts";

export const walletsMountPath = "/api";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
  .transform((value) => value as Hex);
const hexBytes = (bytes: string) =>
  z
    .string()
    .regex(/^0x([0-9a-fA-F]{2})+$/, `must be 0x-prefixed hex (${bytes})`)
    .max(2 + 2 * 4096)
    .transform((value) => value as Hex);
const uint256 = z
  .string()
  .regex(/^\d{1,78}$/, "must be a decimal integer")
  .transform((value) => BigInt(value))
  .refine((value) => value < 2n ** 256n, "must fit in uint256");

export function walletsRouter(ctx: AppContext): Router {
  const router = Router();
  const db = ctx.database.db;
  const needChain = (): ChainContext => {
    if (!ctx.chain) throw new AppError("chain_unavailable", "No chain is configured, so wallets cannot be used.", { retryable: true });
    return ctx.chain;
  };
  // The SIWE domain is ours: PUBLIC_URL's host, never the Host header the client chose (a
  // signature for evil.example must not pass because the request said Host: evil.example).
  const siweDomainOfPublicUrl = new URL(ctx.config.http.publicUrl).host;
  const siweDomain = (_req: Request) => siweDomainOfPublicUrl;

  defineRoute(
    router,
    walletsMountPath,
    {
      method: "post",
      path: "/wallets/siwe/nonce",
      summary: "A single-use Sign-In With Ethereum nonce for linking a wallet to your account",
      tags: ["wallets"],
      auth: "account",
      status: 201,
      response: siweNonceSchema,
    },
    async ({ account, req }) => ({
      ...(await issueSiweNonce(db, { accountId: account!.id, ttlSeconds: ctx.config.resale.siweNonceTtlSeconds })),
      domain: siweDomain(req),
      chainId: Number(needChain().chainId),
    }),
  );

  defineRoute(
    router,
    walletsMountPath,
    {
      method: "post",
      path: "/wallets/link",
      summary: "Link a wallet: a signed SIWE message (EIP-4361) carrying your nonce, our domain, the chain id and an expiration time",
      tags: ["wallets"],
      auth: "account",
      status: 201,
      response: linkedWalletSchema,
      body: z.strictObject({ message: z.string().min(50).max(4000), signature: hexBytes("a signature") }),
    },
    async ({ account, body, req }) =>
      linkWallet(db, needChain(), { accountId: account!.id, message: body.message, signature: body.signature, domain: siweDomain(req) }),
  );

  defineRoute(
    router,
    walletsMountPath,
    {
      method: "get",
      path: "/me/wallets",
      summary: "Your linked wallets",
      tags: ["wallets"],
      auth: "account",
      response: linkedWalletListSchema,
    },
    async ({ account }) => ({ items: await listLinkedWallets(db, { accountId: account!.id }) }),
  );

  defineRoute(
    router,
    walletsMountPath,
    {
      method: "post",
      path: "/wallets/withdrawals",
      summary: "Withdraw a sealed entitlement you own in custody to your linked wallet (an ERC-721 transfer by the chain worker)",
      tags: ["wallets"],
      auth: "account",
      status: 202,
      response: withdrawalSchema,
      body: z.strictObject({ entitlementId: idString, wallet: address }),
    },
    async ({ account, body }) =>
      requestWithdrawal(
        db,
        { custodian: ctx.chain?.custodian, now: await rentalNow(ctx.chain) },
        { accountId: account!.id, entitlementId: body.entitlementId, wallet: body.wallet },
      ),
  );

  defineRoute(
    router,
    walletsMountPath,
    {
      method: "post",
      path: "/wallets/deposits",
      summary: "Credit a deposit: a transaction that transferred tokens to the custodian; each goes to the account linked to the sending wallet",
      tags: ["wallets"],
      auth: "account",
      response: creditedDepositsSchema,
      body: z.strictObject({
        transactionHash: z
          .string()
          .regex(/^0x[0-9a-fA-F]{64}$/, "must be a transaction hash")
          .transform((value) => value as Hex),
      }),
    },
    async ({ body }) => creditDeposit(db, needChain(), { transactionHash: body.transactionHash }),
  );

  defineRoute(
    router,
    walletsMountPath,
    {
      method: "get",
      path: "/wallets/reveal/typed-data",
      summary: "The EIP-712 domain and types a wallet signs to reveal a token's code",
      tags: ["wallets"],
      auth: "public",
      response: revealTypedDataSchema,
    },
    async () => {
      const chain = needChain();
      return {
        domain: { ...revealDomain(chain.chainId, chain.addresses.entitlement), chainId: Number(chain.chainId) },
        types: revealTypes,
        primaryType: "Reveal",
      };
    },
  );

  defineRoute(
    router,
    walletsMountPath,
    {
      method: "post",
      path: "/wallets/reveal",
      summary: "Reveal a wallet-held token's code to its on-chain holder, proven by an EIP-712 signature (redemption: the token is locked)",
      tags: ["wallets"],
      auth: "public",
      response: walletRevealSchema,
      body: z.strictObject({ holder: address, tokenId: uint256, nonce: uint256, deadline: uint256, signature: hexBytes("a signature") }),
    },
    async ({ body, req }) => {
      const revealed = await revealByWalletSignature(
        db,
        ctx.keyRing,
        needChain(),
        { signatureTtlSecondsMax: ctx.config.resale.walletSignatureTtlSecondsMax },
        body,
      );
      // The dispute evidence's view log (docs/disputes.md): when and from which network and device class the code was shown.
      await recordEntitlementViews(db, {
        entitlementIds: [BigInt(revealed.entitlementId)],
        address: req.ip,
        userAgent: req.get("user-agent"),
        channel: "wallet",
      });
      return revealed;
    },
  );

  return router;
}
