// The gate a key bought from an upstream instance passes before it is delivered downstream
// (api/services/crossdock/upstreamKeyGate.ts, docs/docking.md "Across instances"), against a real
// sale on a running platform (HTTP, PostgreSQL, Redis, a local chain): a sealed entitlement issued
// on-chain passes step 1; the revealed code with its salt passes step 2. Refused: a certificate
// naming other contracts than the pinned ones, a certificate whose leaf was altered (wrong index,
// wrong commitment), a code altered in transit (what a tampering upstream or proxy would send),
// a certificate with the salt withheld, and once the code is revealed and the redemption is on
// record, the same certificate again (a key already seen by someone: "not redeemed" fails).
// The expected verdicts are what the chain says, read here with viem (`locked`, `isIssued`).
import { expect } from "chai";
import { createPublicClient, http, parseAbi, type Hex, type PublicClient } from "viem";
import { checkRevealedUpstreamKey, checkSealedUpstreamKey, type PinnedUpstream } from "../../api/services/crossdock/upstreamKeyGate.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { usePlatform, waitFor, type HttpClient } from "../support/platform.ts";

const tokenAbi = parseAbi(["function locked(uint256 tokenId) view returns (bool)", "function isIssued(uint64 batchId, uint32 leafIndex) view returns (bool)"]);

describe("docking across instances: the upstream key gate (HTTP, PostgreSQL, Redis, local chain)", function () {
  this.timeout(300_000);
  const suite = usePlatform({ env: { INDEXER_FINALITY_DEPTH: "1" } });
  let supplier: MerchantSetup;
  let reseller: HttpClient;
  let client: PublicClient;
  let pinned: PinnedUpstream;
  let order: { id: string };
  let item: { entitlementId: string; keyId: string; batchId: string; leafIndex: number };
  let keys: string[];

  before(async () => {
    supplier = await setupMerchant(suite.platform);
    const productId = await createProduct(supplier, { name: "Upstream voucher", resaleAllowed: true });
    keys = randomKeys(3, "UP");
    await importKeys(supplier, productId, keys);
    const signup = await suite.platform.http.post("/api/auth/signup", {
      email: `reseller-${Date.now()}@example.com`,
      password: "reseller-password-1",
      roles: ["buyer"],
    });
    expect(signup.status, signup.text).to.equal(201);
    reseller = suite.platform.http.as(signup.body.token);
    const checkout = await reseller.post("/api/orders", { productId, quantity: 1 });
    expect(checkout.status, checkout.text).to.equal(201);
    order = checkout.body.order;
    const paid = await suite.platform.http.get(notifyPath(supplier.shopId, signedNotification(supplier.sandbox, checkout.body.order, `GATE-${Date.now()}`)));
    expect(paid.text).to.equal("success");
    item = await waitFor(
      "the upstream sale's issuance on-chain",
      async () => {
        const view = await reseller.get(`/api/orders/${order.id}`);
        const first = view.body.items?.[0];
        return view.body.state === "fulfilled" && first?.tokenId ? first : undefined;
      },
      120_000,
      250,
    );
    client = createPublicClient({ transport: http(suite.platform.rpcUrl) }) as PublicClient;
    pinned = {
      chainId: String(await client.getChainId()),
      registry: suite.platform.chainAddresses.registry!,
      entitlement: suite.platform.chainAddresses.entitlement!,
    };
  });

  const sealedCertificate = async () => {
    const response = await reseller.get(`/api/orders/${order.id}/keys/${item.keyId}/certificate`);
    expect(response.status, response.text).to.equal(200);
    return response.body;
  };

  it("passes a sealed, issued, unredeemed key and refuses other contracts or an altered leaf", async () => {
    const certificate = await sealedCertificate();
    expect(certificate.commitment.salt).to.equal(null);
    // What the chain says, read with viem alone: issued, not locked.
    expect(
      await client.readContract({ address: pinned.entitlement as Hex, abi: tokenAbi, functionName: "isIssued", args: [BigInt(item.batchId), item.leafIndex] }),
    ).to.equal(true);
    expect(
      await client.readContract({ address: pinned.entitlement as Hex, abi: tokenAbi, functionName: "locked", args: [BigInt(certificate.issuance.tokenId)] }),
    ).to.equal(false);
    const verdict = await checkSealedUpstreamKey(client, pinned, certificate);
    expect(verdict.outcome, JSON.stringify(verdict)).to.equal("pass");

    const otherRegistry = await checkSealedUpstreamKey(client, { ...pinned, registry: "0x000000000000000000000000000000000000dEaD" }, certificate);
    expect(otherRegistry).to.deep.equal({ outcome: "refused", failures: ["pinned_registry"] });
    const otherChain = await checkSealedUpstreamKey(client, { ...pinned, chainId: "1" }, certificate);
    expect(otherChain).to.deep.equal({ outcome: "refused", failures: ["pinned_chain"] });

    // Another leaf position: the leaf's values no longer match, the proof no longer leads to the root.
    const moved = structuredClone(certificate);
    moved.leaf.index = certificate.leaf.index + 1;
    moved.leaf.values[4] = String(certificate.leaf.index + 1);
    const movedVerdict = await checkSealedUpstreamKey(client, pinned, moved);
    expect(movedVerdict.outcome).to.equal("refused");
    expect((movedVerdict as { failures: string[] }).failures).to.include.members(["leaf_hash", "merkle_proof"]);
    // A commitment of the upstream's choosing (a key it never anchored): not in the root.
    const recommitted = structuredClone(certificate);
    recommitted.commitment.value = `0x${"11".repeat(32)}`;
    recommitted.leaf.values[5] = recommitted.commitment.value;
    const recommittedVerdict = await checkSealedUpstreamKey(client, pinned, recommitted);
    expect(recommittedVerdict.outcome).to.equal("refused");
    expect((recommittedVerdict as { failures: string[] }).failures).to.include("merkle_proof");
    expect((await checkSealedUpstreamKey(client, pinned, { version: "something else" })).outcome).to.equal("refused");
  });

  it("passes the revealed code with its salt, refuses an altered code or a withheld salt, then refuses the key as redeemed", async () => {
    const sealed = await sealedCertificate();
    const first = await checkSealedUpstreamKey(client, pinned, sealed);
    expect(first.outcome).to.equal("pass");
    const revealed = await reseller.post(`/api/orders/${order.id}/reveal`, { entitlementIds: [item.entitlementId] });
    expect(revealed.status, revealed.text).to.equal(200);
    const code = revealed.body.items[0].code as string;
    expect(keys).to.include(code);
    const withSalt = (await reseller.get(`/api/orders/${order.id}/keys/${item.keyId}/certificate`)).body;
    expect(withSalt.commitment.salt).to.match(/^0x[0-9a-f]{64}$/);
    if (first.outcome !== "pass") throw new Error("step 1 did not pass");
    const sealedPassed = first.certificate;

    expect(checkRevealedUpstreamKey(sealedPassed, withSalt, code).outcome).to.equal("pass");
    // One character changed in transit, or another of the supplier's keys handed over instead.
    const tampered = `${code.slice(0, -1)}${code.endsWith("0") ? "1" : "0"}`;
    expect(checkRevealedUpstreamKey(sealedPassed, withSalt, tampered)).to.deep.equal({ outcome: "refused", failures: ["key_commitment"] });
    const anotherKey = keys.find((key) => key !== code)!;
    expect(checkRevealedUpstreamKey(sealedPassed, withSalt, anotherKey)).to.deep.equal({ outcome: "refused", failures: ["key_commitment"] });
    expect(checkRevealedUpstreamKey(sealedPassed, sealed, code)).to.deep.equal({ outcome: "refused", failures: ["salt_withheld"] });

    // Once the reveal's redemption is on-chain (the token locked, read with viem), the key has been
    // seen: the same sealed certificate no longer passes.
    await waitFor(
      "the redemption on-chain",
      async () => client.readContract({ address: pinned.entitlement as Hex, abi: tokenAbi, functionName: "locked", args: [BigInt(sealed.issuance.tokenId)] }),
      120_000,
      250,
    );
    expect(await checkSealedUpstreamKey(client, pinned, sealed)).to.deep.equal({ outcome: "refused", failures: ["entitlement_redeemed"] });
  });
});
