// An order paid on-chain, end to end: the buyer pays the PaymentRouter from a wallet, the
// indexer records the payment, and once its block is final the workers' chain-payments job
// accepts it and the order is fulfilled. This crosses the indexer (which records payments) and
// the API's workers (which accept them), the hand-off that keeps api/ and indexer/ apart.
import { expect } from "chai";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { paymentRouterAbi } from "../../core/chain/abis.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { usePlatform, waitFor } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";

describe("on-chain payment end to end (PaymentRouter, indexer, workers)", function () {
  this.timeout(300_000);
  const suite = usePlatform();

  it("fulfils an order paid in the native coin once its block is final, and records the payment once", async () => {
    const setup = await setupMerchant(suite.platform);
    const productId = await createProduct(setup, { name: "Chain card", currency: "ETH", priceMinor: "1000000000000000" });
    const keys = randomKeys(3, "CHAIN");
    await importKeys(setup, productId, keys);

    const checkout = await suite.platform.http.post("/api/orders", {
      productId,
      quantity: 1,
      contact: "wallet@example.com",
      queryPassword: "wallet-pass",
      paymentMethod: "chain",
    });
    expect(checkout.status, checkout.text).to.equal(201);
    const { order, accessToken, payment } = checkout.body;
    expect(payment.method).to.equal("chain");
    expect(payment.asset).to.equal("native");
    expect(payment.amountMinor).to.equal("1000000000000000");

    const account = privateKeyToAccount(localChainAccounts.wallet3);
    const transport = http(suite.platform.rpcUrl);
    const publicClient = createPublicClient({ transport });
    const chain = {
      id: await publicClient.getChainId(),
      name: "local",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [suite.platform.rpcUrl] } },
    };
    const wallet = createWalletClient({ account, chain, transport });
    const hash = await wallet.writeContract({
      address: payment.paymentAddress as Hex,
      abi: paymentRouterAbi,
      functionName: "payNative",
      args: [payment.orderRef as Hex],
      value: 1_000_000_000_000_000n,
    });
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");

    const delivered = await waitFor(
      "the on-chain payment's fulfilment",
      async () => {
        const view = await suite.platform.http.get(`/api/orders/${order.id}?token=${accessToken}`);
        return view.body.state === "fulfilled" ? view.body : undefined;
      },
      90_000,
      250,
    );
    expect(delivered.items).to.have.length(1);
    expect(keys).to.include(delivered.items[0].code);

    const { rows } = await suite.platform.database.pool!.query(
      "SELECT provider, provider_ref, amount_minor::text AS amount FROM payments WHERE order_id = $1",
      [order.id],
    );
    expect(rows).to.deep.equal([{ provider: "chain", provider_ref: `${chain.id}:${hash}:${rows[0]?.provider_ref.split(":")[2]}`, amount: "1000000000000000" }]);
  });
});
