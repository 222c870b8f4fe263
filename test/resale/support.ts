// Setup steps shared by the resale suites: accounts, a paid and fulfilled sealed purchase from
// the shop, paying a resale checkout through the sandbox gateway or with a signed notification,
// and waiting for chain rows.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployPlatform } from "../../api/chain/deploy.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { startChain } from "../support/chain.ts";
import { sandboxMerchantKey } from "../../api/payments/epaySandbox.ts";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import type { MerchantSetup } from "../support/merchantSetup.ts";
import { startTestPlatform, waitFor, type HttpClient, type TestPlatform } from "../support/platform.ts";

/**
 * The whole platform on its own chain. The chain is started on a random free port and deployed
 * to here: startPlatform's own chain prefers port 8545, and two suites starting at the same
 * moment on this shared machine both find it free and end up sharing one node (nonce errors).
 */
export async function startResalePlatform(extraEnv: Record<string, string> = {}): Promise<TestPlatform> {
  const chain = await startChain();
  try {
    const account = privateKeyToAccount(localChainAccounts.deployer as Hex);
    const transport = http(chain.rpcUrl);
    const publicClient = createPublicClient({ transport });
    const chainId = await publicClient.getChainId();
    const definition = {
      id: chainId,
      name: "local",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [chain.rpcUrl] } },
    };
    const walletClient = createWalletClient({ account, chain: definition, transport });
    const addresses = await deployPlatform(walletClient as never, createPublicClient({ chain: definition, transport }) as never, {
      admin: account.address,
      operator: account.address,
      issuer: account.address,
      custodian: account.address,
      treasury: account.address,
      ledgerAnchorer: account.address,
    });
    // The suite runs its own indexer where it needs one (with finality 0), so the platform's
    // in-process indexer, which would hold the writer lock, stays off.
    const platform = await startTestPlatform({
      indexer: false,
      env: {
        CHAIN_RPC_URL: chain.rpcUrl,
        CHAIN_OPERATOR_KEY: localChainAccounts.deployer,
        REGISTRY_ADDRESS: addresses.registry,
        ENTITLEMENT_ADDRESS: addresses.entitlement,
        PAYMENT_ADDRESS: addresses.payment,
        STABLECOIN_ADDRESS: addresses.stablecoin,
        LEDGER_ANCHOR_ADDRESS: addresses.ledgerAnchor,
        DEPLOYMENT_BLOCK: String(addresses.deploymentBlock),
        ...extraEnv,
      },
    });
    return {
      ...platform,
      rpcUrl: chain.rpcUrl,
      stopAll: async () => {
        await platform.stopAll();
        await chain.stop();
      },
    };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}

export type Person = { client: HttpClient; accountId: bigint; email: string };

export async function signUp(platform: TestPlatform, label: string, roles: string[] = ["buyer", "reseller"]): Promise<Person> {
  const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
  const response = await platform.http.post("/api/auth/signup", { email, password: "resale-password-1", roles });
  expect(response.status, response.text).to.equal(201);
  return { client: platform.http.as(response.body.token), accountId: BigInt(response.body.account.id), email };
}

/** A signed-in buyer buys one key of the product from the shop; returns the sealed entitlement. */
export async function buyFromShop(
  platform: TestPlatform,
  setup: MerchantSetup,
  buyer: Person,
  productId: string,
): Promise<{ orderId: string; entitlementId: string }> {
  const checkout = await buyer.client.post("/api/orders", { productId, quantity: 1 });
  expect(checkout.status, checkout.text).to.equal(201);
  const order = checkout.body.order;
  const paid = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, `T${randomBytes(6).toString("hex")}`)));
  expect(paid.text).to.equal("success");
  const view = await waitFor("fulfilment", async () => {
    const response = await buyer.client.get(`/api/orders/${order.id}`);
    return response.body.state === "fulfilled" ? response.body : undefined;
  });
  expect(view.items).to.have.length(1);
  expect(view.items[0].state).to.equal("sealed");
  expect(view.items[0].code).to.equal(null);
  return { orderId: order.id, entitlementId: view.items[0].entitlementId };
}

export async function waitIssued(platform: TestPlatform, entitlementId: string): Promise<bigint> {
  return waitFor(
    `issuance of entitlement ${entitlementId}`,
    async () => {
      const row = await queryOne<{ token_id: string | null; issue_state: string }>(
        platform.ctx.database.db,
        sql`SELECT token_id::text AS token_id, issue_state FROM entitlements WHERE id = ${entitlementId}`,
      );
      return row?.token_id && ["included", "confirmed"].includes(row.issue_state) ? BigInt(row.token_id) : undefined;
    },
    60_000,
    100,
  );
}

/** The buyer's browser opens the payment URL and presses pay on the sandbox gateway. */
export async function payThroughSandbox(platform: TestPlatform, paymentUrl: string): Promise<void> {
  const params = new URL(paymentUrl).searchParams;
  const paid = await fetch(`${platform.url}/sandbox/epay/pay`, { method: "POST", body: params, redirect: "manual" });
  expect(paid.status, await paid.text()).to.equal(303);
}

/** A notification signed with the platform's resale merchant key, as the gateway sends it. */
export function resaleNotifyPath(platform: TestPlatform, purchase: { id: string; priceMinor: string }, tradeNo: string): string {
  const pid = platform.ctx.config.resale.epayPid;
  const key = sandboxMerchantKey(platform.ctx.config.payments.epaySandboxSecret!, pid);
  const params = signedNotification({ pid, key }, { id: purchase.id, amountMinor: purchase.priceMinor }, tradeNo);
  const path = notifyPath("0", params).replace("/api/payments/epay/notify/0", "/api/resale/payments/epay/notify");
  return path;
}

export async function waitRows<T>(platform: TestPlatform, what: string, statement: ReturnType<typeof sql>, ready: (rows: T[]) => boolean): Promise<T[]> {
  return waitFor(
    what,
    async () => {
      const rows = await queryRows<T>(platform.ctx.database.db, statement);
      return ready(rows) ? rows : undefined;
    },
    60_000,
    100,
  );
}

/** Sum of every posting per currency: zero when the ledger balances. */
export async function ledgerImbalance(platform: TestPlatform): Promise<{ currency: string; total: string }[]> {
  return queryRows(
    platform.ctx.database.db,
    sql`SELECT currency, sum(amount_minor)::text AS total FROM ledger_postings GROUP BY currency HAVING sum(amount_minor) <> 0`,
  );
}

export async function balance(platform: TestPlatform, ownerType: string, ownerId: bigint, purpose: string): Promise<bigint> {
  const row = await queryOne<{ balance: string | null }>(
    platform.ctx.database.db,
    sql`SELECT sum(balance_minor)::text AS balance FROM ledger_accounts WHERE owner_type = ${ownerType} AND owner_id = ${ownerId} AND purpose = ${purpose}`,
  );
  return BigInt(row?.balance ?? "0");
}
