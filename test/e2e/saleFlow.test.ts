// The whole sale over HTTP against the running platform: a merchant imports keys, the batch
// root is anchored on the local chain, a guest buys through the sandbox EPay gateway, gets
// the key and its certificate, the certificate verifies against the on-chain root with
// @openzeppelin/merkle-tree and viem alone, and the entitlement is issued on-chain.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { createPublicClient, http, keccak256, concat, toHex, toBytes, type Hex } from "viem";
import { loadArtifact } from "../../api/chain/contracts.ts";
import { usePlatform, waitFor } from "../support/platform.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";

describe("sale flow end to end (HTTP, PostgreSQL, Redis, local chain)", function () {
  this.timeout(300_000);
  const suite = usePlatform();
  let setup: MerchantSetup;
  before(async () => {
    setup = await setupMerchant(suite.platform);
  });

  it("imports, anchors, sells through the sandbox gateway, delivers a verifiable key and issues it on-chain", async () => {
    const productId = await createProduct(setup, { name: "Verified card" });
    const keys = randomKeys(25, "E2E");
    const { batchId } = await importKeys(setup, productId, keys);

    const product = await suite.platform.http.get(`/api/products/${productId}`);
    expect(product.body.stock).to.equal(25);

    const checkout = await suite.platform.http.post("/api/orders", { productId, quantity: 1, contact: "guest@example.com", queryPassword: "guest-pass" });
    expect(checkout.status, checkout.text).to.equal(201);
    const { order, accessToken, payment } = checkout.body;
    expect(order.state).to.equal("awaiting_payment");
    expect(payment.method).to.equal("epay");

    // The buyer's browser opens the gateway, sees the cashier, presses pay.
    const cashier = await fetch(payment.url);
    expect(cashier.status).to.equal(200);
    expect(await cashier.text()).to.contain("sandbox-pay");
    const params = new URL(payment.url).searchParams;
    const paid = await fetch(`${suite.platform.url}/sandbox/epay/pay`, { method: "POST", body: params, redirect: "manual" });
    expect(paid.status).to.equal(303);
    expect(paid.headers.get("location")).to.contain(`/orders/${order.id}`);

    const delivered = await waitFor("fulfilment", async () => {
      const view = await suite.platform.http.get(`/api/orders/${order.id}?token=${accessToken}`);
      return view.body.state === "fulfilled" ? view.body : undefined;
    });
    expect(delivered.items).to.have.length(1);
    const item = delivered.items[0];
    expect(keys).to.include(item.code);

    const certificateResponse = await suite.platform.http.get(`/api/orders/${order.id}/keys/${item.keyId}/certificate?token=${accessToken}`);
    expect(certificateResponse.status, certificateResponse.text).to.equal(200);
    const certificate = certificateResponse.body;
    expect(JSON.stringify(certificate)).not.to.contain(item.code);

    // Verify with @openzeppelin/merkle-tree and viem alone, from the certificate and the chain.
    const client = createPublicClient({ transport: http(suite.platform.rpcUrl) });
    const leaf = certificate.leaf;
    const commitment = keccak256(concat([certificate.commitment.salt as Hex, toHex(toBytes(item.code))]));
    expect(leaf.values[5]).to.equal(commitment);
    expect(StandardMerkleTree.verify(certificate.batch.root, leaf.types, leaf.values, certificate.proof)).to.equal(true);
    const onChainRoot = await client.readContract({
      address: certificate.chain.registry,
      abi: loadArtifact("KeyRegistry").abi,
      functionName: "rootOf",
      args: [BigInt(batchId)],
    });
    expect(onChainRoot).to.equal(certificate.batch.root);

    // The entitlement is issued on-chain by the batched issuer.
    const issued = await waitFor(
      "on-chain issuance",
      async () => {
        const view = await suite.platform.http.get(`/api/orders/${order.id}?token=${accessToken}`);
        const entry = view.body.items[0];
        return entry.tokenId && entry.issueState !== "pending" && entry.issueState !== "submitted" ? entry : undefined;
      },
      120_000,
      250,
    );
    const owner = await client.readContract({
      address: certificate.chain.entitlement,
      abi: loadArtifact("EntitlementToken").abi,
      functionName: "ownerOf",
      args: [BigInt(issued.tokenId)],
    });
    expect((owner as string).toLowerCase()).to.equal(suite.platform.ctx.chain!.custodian!.toLowerCase());
    const isIssued = await client.readContract({
      address: certificate.chain.entitlement,
      abi: loadArtifact("EntitlementToken").abi,
      functionName: "isIssued",
      args: [BigInt(batchId), item.leafIndex],
    });
    expect(isIssued).to.equal(true);

    // The indexer follows the chain: the anchor and the issuance become final ('confirmed').
    await waitFor(
      "indexer confirmation",
      async () => {
        const batches = await setup.merchant.get(`/api/shops/${setup.shopId}/batches`);
        const batch = batches.body.items.find((entry: { id: string }) => entry.id === batchId);
        const view = await suite.platform.http.get(`/api/orders/${order.id}?token=${accessToken}`);
        return batch?.anchorState === "confirmed" && view.body.items[0].issueState === "confirmed" ? true : undefined;
      },
      120_000,
      500,
    );
  });
});
