// Self-custody against the whole platform and a local chain: a wallet linked by SIWE, a
// withdrawal from custody, transfers between wallets made directly on-chain with the holders'
// keys, a reveal by the last holder's EIP-712 signature (a previous holder's is refused), the
// locked token refusing the next transfer with the exact custom error, the timeline, and a
// deposit back into custody.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { BaseError, ContractFunctionRevertedError, concat, createWalletClient, http, keccak256, toBytes, toHex, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { revealDomain, revealTypes } from "../../api/services/wallets/revealTypedData.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { loadArtifact } from "../../api/chain/contracts.ts";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/logger.ts";
import { startIndexer } from "../../indexer/startIndexer.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import type { TestPlatform } from "../support/platform.ts";
import { buyFromShop, signUp, startResalePlatform, waitIssued, waitRows, type Person } from "./support.ts";

describe("self-custody: wallets, withdrawals, wallet reveals, deposits", function () {
  this.timeout(180_000);
  let platform: TestPlatform;
  let setup: MerchantSetup;
  let productId: string;
  let keys: string[];
  let owner: Person;
  let walletRevealed: { entitlementId: string; kinds: string[]; hashes: (string | null)[] } | undefined;
  const holders = {
    first: privateKeyToAccount(localChainAccounts.buyer as Hex),
    second: privateKeyToAccount(localChainAccounts.wallet2 as Hex),
    last: privateKeyToAccount(localChainAccounts.wallet3 as Hex),
  };

  before(async () => {
    platform = await startResalePlatform();
    setup = await setupMerchant(platform);
    productId = await createProduct(setup, { name: "Wallet card", priceMinor: "1000", resaleAllowed: true });
    keys = randomKeys(6, "WAL");
    await importKeys(setup, productId, keys);
    owner = await signUp(platform, "holder");
  });
  after(async () => {
    await platform?.stopAll();
  });

  const chain = () => platform.ctx.chain!;
  const walletOf = (account: PrivateKeyAccount) => createWalletClient({ account, chain: chain().publicClient.chain!, transport: http(platform.rpcUrl) });
  const ownerOf = (tokenId: bigint) =>
    chain().publicClient.readContract({ address: chain().addresses.entitlement, abi: entitlementTokenAbi, functionName: "ownerOf", args: [tokenId] });
  async function transfer(from: PrivateKeyAccount, to: Hex, tokenId: bigint): Promise<Hex> {
    const hash = await walletOf(from).writeContract({
      address: chain().addresses.entitlement,
      abi: entitlementTokenAbi,
      functionName: "transferFrom",
      args: [from.address, to, tokenId],
    });
    const receipt = await chain().publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    return hash;
  }
  async function signReveal(holder: PrivateKeyAccount, tokenId: bigint, nonce = BigInt(`0x${randomBytes(16).toString("hex")}`)) {
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 300);
    const signature = await holder.signTypedData({
      domain: revealDomain(chain().chainId, chain().addresses.entitlement),
      types: revealTypes,
      primaryType: "Reveal",
      message: { tokenId, nonce, deadline },
    });
    return { holder: holder.address, tokenId: tokenId.toString(), nonce: nonce.toString(), deadline: deadline.toString(), signature };
  }
  async function withdraw(entitlementId: string, wallet: Hex): Promise<void> {
    const response = await owner.client.post("/api/wallets/withdrawals", { entitlementId, wallet });
    expect(response.status, response.text).to.equal(202);
    await waitRows(
      platform,
      "withdrawal sent",
      sql`SELECT state FROM wallet_movements WHERE entitlement_id = ${entitlementId} AND direction = 'withdrawal' ORDER BY id DESC LIMIT 1`,
      (rows: { state: string }[]) => rows[0]?.state === "included",
    );
  }

  it("links a wallet by Sign-In With Ethereum: nonce single-use, domain and expiry checked", async () => {
    const nonce = await owner.client.post("/api/wallets/siwe/nonce");
    expect(nonce.status, nonce.text).to.equal(201);
    const fields = {
      address: holders.first.address,
      uri: platform.url,
      version: "1" as const,
      chainId: nonce.body.chainId,
      nonce: nonce.body.nonce,
      issuedAt: new Date(),
    };
    const sign = async (message: string) => ({ message, signature: await holders.first.signMessage({ message }) });

    const foreign = await sign(createSiweMessage({ ...fields, domain: "evil.example", expirationTime: new Date(Date.now() + 60_000) }));
    expect((await owner.client.post("/api/wallets/link", foreign)).status).to.equal(400);
    const expired = await sign(
      createSiweMessage({ ...fields, domain: nonce.body.domain, issuedAt: new Date(Date.now() - 120_000), expirationTime: new Date(Date.now() - 60_000) }),
    );
    expect((await owner.client.post("/api/wallets/link", expired)).status).to.equal(400);
    const other = await signUp(platform, "intruder");
    const good = await sign(createSiweMessage({ ...fields, domain: nonce.body.domain, expirationTime: new Date(Date.now() + 60_000) }));
    expect((await other.client.post("/api/wallets/link", good)).status, "another account's nonce").to.equal(400);

    const linked = await owner.client.post("/api/wallets/link", good);
    expect(linked.status, linked.text).to.equal(201);
    expect(linked.body.address).to.equal(holders.first.address.toLowerCase());
    const replay = await owner.client.post("/api/wallets/link", good);
    expect(replay.status).to.equal(400);
    expect(replay.body.code).to.equal("invalid_signature");
    expect((await owner.client.get("/api/me/wallets")).body.items.map((item: { address: string }) => item.address)).to.deep.equal([
      holders.first.address.toLowerCase(),
    ]);
  });

  it("withdraws, moves between wallets on-chain, reveals to the last holder only, and the locked token refuses to move", async () => {
    const { orderId, entitlementId } = await buyFromShop(platform, setup, owner, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    const listing = await owner.client.post("/api/resale/listings", { entitlementId, priceMinor: "1200", currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);
    expect((await owner.client.post("/api/wallets/withdrawals", { entitlementId, wallet: holders.second.address })).status, "unlinked wallet").to.equal(403);

    await withdraw(entitlementId, holders.first.address);
    expect((await ownerOf(tokenId)).toLowerCase()).to.equal(holders.first.address.toLowerCase());
    const pulled = await queryOne<{ state: string; closed_reason: string }>(
      platform.ctx.database.db,
      sql`SELECT state, closed_reason FROM resale_listings WHERE id = ${listing.body.id}`,
    );
    expect(pulled).to.deep.equal({ state: "pulled", closed_reason: "left_custody" });

    await transfer(holders.first, holders.second.address, tokenId);
    await transfer(holders.second, holders.last.address, tokenId);
    expect((await ownerOf(tokenId)).toLowerCase()).to.equal(holders.last.address.toLowerCase());

    // Previous holders are refused; so are the custodial paths of the account that withdrew it.
    const previous = await platform.http.post("/api/wallets/reveal", await signReveal(holders.second, tokenId));
    expect(previous.status, previous.text).to.equal(403);
    expect((await platform.http.post("/api/wallets/reveal", await signReveal(holders.first, tokenId))).status).to.equal(403);
    const forged = { ...(await signReveal(holders.second, tokenId)), holder: holders.last.address };
    expect((await platform.http.post("/api/wallets/reveal", forged)).status, "signature by someone else").to.equal(400);
    expect((await owner.client.post(`/api/entitlements/${entitlementId}/reveal`)).status).to.equal(404);
    const orderReveal = await owner.client.post(`/api/orders/${orderId}/reveal`, {});
    expect(orderReveal.body.items[0].state).to.equal("sealed");

    // The holder's wallet signs what GET /wallets/reveal/typed-data serves, as the web page does.
    const typedData = await platform.http.get("/api/wallets/reveal/typed-data");
    expect(typedData.status, typedData.text).to.equal(200);
    expect(typedData.body.domain).to.deep.equal({
      name: "Keyledger",
      version: "1",
      chainId: Number(chain().chainId),
      verifyingContract: chain().addresses.entitlement,
    });
    expect(typedData.body.primaryType).to.equal("Reveal");
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 300);
    const nonce = BigInt(`0x${randomBytes(16).toString("hex")}`);
    const request = {
      holder: holders.last.address,
      tokenId: tokenId.toString(),
      nonce: nonce.toString(),
      deadline: deadline.toString(),
      signature: await holders.last.signTypedData({
        domain: typedData.body.domain,
        types: typedData.body.types,
        primaryType: "Reveal",
        message: { tokenId, nonce, deadline },
      }),
    };
    const revealed = await platform.http.post("/api/wallets/reveal", request);
    expect(revealed.status, revealed.text).to.equal(200);
    expect(keys).to.include(revealed.body.code);
    expect(revealed.body.holder).to.equal(holders.last.address.toLowerCase());
    // The salt comes with the code: keccak256(salt || code), computed here with viem, is the key's commitment.
    const committed = await queryOne<{ commitment: Buffer }>(
      platform.ctx.database.db,
      sql`SELECT k.commitment FROM entitlements e JOIN keys k ON k.id = e.key_id WHERE e.id = ${entitlementId}`,
    );
    expect(keccak256(concat([revealed.body.salt as Hex, toHex(toBytes(revealed.body.code))]))).to.equal(toHex(committed!.commitment));
    const replayed = await platform.http.post("/api/wallets/reveal", request);
    expect(replayed.status).to.equal(400);
    // The account that withdrew it never sees the code.
    const orderView = await owner.client.get(`/api/orders/${orderId}`);
    expect(orderView.body.items[0].code).to.equal(null);
    expect(orderView.text).not.to.contain(revealed.body.code);

    // The redemption is recorded on-chain and locks the token.
    const redeemed = await waitRows<{ redeem_tx: string }>(
      platform,
      "redemption on-chain",
      sql`SELECT redeem_tx FROM entitlements WHERE id = ${entitlementId} AND redeem_state IN ('included','confirmed')`,
      (rows) => rows.length === 1,
    );
    expect(
      await chain().publicClient.readContract({ address: chain().addresses.entitlement, abi: entitlementTokenAbi, functionName: "locked", args: [tokenId] }),
    ).to.equal(true);

    // Reselling the revealed token fails at the contract: the holder's own transfer reverts TokenLocked(tokenId).
    const error = await walletOf(holders.last)
      .writeContract({
        address: chain().addresses.entitlement,
        abi: entitlementTokenAbi,
        functionName: "transferFrom",
        args: [holders.last.address, holders.second.address, tokenId],
      })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).to.be.instanceOf(BaseError);
    const reverted = (error as BaseError).walk((cause) => cause instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    expect(reverted?.data?.errorName).to.equal("TokenLocked");
    expect(reverted?.data?.args).to.deep.equal([tokenId]);
    // ... and at the API for the account too.
    expect((await owner.client.post("/api/resale/listings", { entitlementId, priceMinor: "1200", currency: "CNY" })).status).to.be.oneOf([404, 409]);

    const timeline = await platform.http.get(`/api/entitlements/${entitlementId}/timeline`);
    expect(timeline.status, timeline.text).to.equal(200);
    const steps = timeline.body.steps as { kind: string; transactionHash: string | null; time: string | null; details: Record<string, string> }[];
    expect(steps.map((step) => step.kind)).to.deep.equal(["anchored", "sold", "issued", "withdrawn", "transferred", "transferred", "redeemed"]);
    for (const step of steps.filter((entry) => entry.kind !== "sold")) {
      expect(step.transactionHash, step.kind).to.match(/^0x[0-9a-f]{64}$/);
      expect(step.time, step.kind).to.be.a("string");
    }
    expect(steps.at(-1)!.transactionHash).to.equal(redeemed[0]!.redeem_tx);
    expect(steps[5]!.details.to).to.equal(holders.last.address.toLowerCase());
    walletRevealed = { entitlementId, kinds: steps.map((step) => step.kind), hashes: steps.map((step) => step.transactionHash) };
  });

  it("deposits a token back into custody and credits the account linked to the sending wallet", async () => {
    const { entitlementId } = await buyFromShop(platform, setup, owner, productId);
    const tokenId = await waitIssued(platform, entitlementId);
    await withdraw(entitlementId, holders.first.address);
    expect((await owner.client.post("/api/resale/listings", { entitlementId, priceMinor: "1200", currency: "CNY" })).status, "not in custody").to.equal(404);

    const hash = await transfer(holders.first, chain().custodian!, tokenId);
    const credited = await owner.client.post("/api/wallets/deposits", { transactionHash: hash });
    expect(credited.status, credited.text).to.equal(200);
    expect(credited.body.credited).to.deep.equal([
      { entitlementId, tokenId: tokenId.toString(), accountId: owner.accountId.toString(), wallet: holders.first.address.toLowerCase() },
    ]);
    const again = await owner.client.post("/api/wallets/deposits", { transactionHash: hash });
    expect(again.body.credited).to.deep.equal([]);

    const listing = await owner.client.post("/api/resale/listings", { entitlementId, priceMinor: "1200", currency: "CNY" });
    expect(listing.status, listing.text).to.equal(201);
    const kinds = (await platform.http.get(`/api/entitlements/${entitlementId}/timeline`)).body.steps.map((step: { kind: string }) => step.kind);
    expect(kinds).to.deep.equal(["anchored", "sold", "issued", "withdrawn", "deposited"]);
  });

  it("builds the same timeline from the indexer's tables once the indexer has followed the chain", async () => {
    expect(walletRevealed, "the wallet reveal test ran first").not.to.equal(undefined);
    // A revealed purchase never withdrawn, and a listing of a deposited token: the indexer's
    // projection of their transfers into custody must change neither.
    const kept = await buyFromShop(platform, setup, owner, productId);
    await waitIssued(platform, kept.entitlementId);
    const code = (await owner.client.post(`/api/orders/${kept.orderId}/reveal`, {})).body.items[0].code;
    expect(keys).to.include(code);
    const listed = (await owner.client.get("/api/me/entitlements")).body.items.filter((item: { listingId: string | null }) => item.listingId !== null);
    expect(listed).to.have.length(1);
    // The default deployment: CUSTODIAN_ADDRESS unset, so the indexer records the custodian's
    // address as the wallet of tokens in custody.
    const config = loadConfig({ ...platform.env, INDEXER_FINALITY_DEPTH: "0", LOG_LEVEL: "silent" });
    const controller = new AbortController();
    const sources = [
      { role: "registry" as const, address: chain().addresses.registry, abi: loadArtifact("KeyRegistry").abi },
      { role: "entitlement" as const, address: chain().addresses.entitlement, abi: loadArtifact("EntitlementToken").abi },
    ];
    const running = startIndexer({ config, logger: createLogger({ level: "silent", name: "indexer-test" }), sources, signal: controller.signal });
    try {
      const head = await chain().publicClient.getBlockNumber();
      await waitRows(
        platform,
        "indexer caught up",
        sql`SELECT block_number FROM indexer_checkpoints WHERE chain_id = ${Number(chain().chainId)}`,
        (rows: { block_number: bigint }[]) => rows.length === 1 && BigInt(rows[0]!.block_number) >= head,
      );
    } finally {
      controller.abort();
      await running;
    }
    const timeline = await platform.http.get(`/api/entitlements/${walletRevealed!.entitlementId}/timeline`);
    expect(timeline.status, timeline.text).to.equal(200);
    const steps = timeline.body.steps as { kind: string; transactionHash: string | null; details: Record<string, unknown> }[];
    expect(steps.map((step) => step.kind)).to.deep.equal(walletRevealed!.kinds);
    expect(steps.map((step) => step.transactionHash)).to.deep.equal(walletRevealed!.hashes);
    expect(steps.find((step) => step.kind === "issued")!.details.final).to.equal(true);

    const projected = await queryOne<{ owner_wallet: string | null }>(
      platform.ctx.database.db,
      sql`SELECT owner_wallet FROM entitlements WHERE id = ${kept.entitlementId}`,
    );
    expect(projected!.owner_wallet, "the indexer projected the mint to the custodian").to.equal(chain().custodian!.toLowerCase());
    expect((await owner.client.get(`/api/orders/${kept.orderId}`)).body.items[0].code).to.equal(code);
    const stillListed = (await owner.client.get("/api/me/entitlements")).body.items.filter((item: { listingId: string | null }) => item.listingId !== null);
    const summary = (items: { id: string; listingId: string; inCustody: boolean }[]) =>
      items.map(({ id, listingId, inCustody }) => ({ id, listingId, inCustody }));
    expect(summary(stillListed)).to.deep.equal(summary(listed));
  });
});
