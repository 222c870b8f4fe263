// The fixtures the authorisation matrix is walked against, built over HTTP on one running
// platform the way people would: two shops with sales, buyer A's orders (codes shown, sealed,
// manual), a guest order, sealed entitlements in custody, a resale listing and a purchase, an
// import, a top-up, a payout to decide, linked wallets, an anchored journal. `fresh` makes one
// more of a resource for a cell whose allowed call would use it up.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { createWalletClient, http, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { postOrderPayment } from "../../api/ledger/flows.ts";
import { postJournal } from "../../api/ledger/postJournal.ts";
import { entitlementTokenAbi } from "../../core/chain/abis.ts";
import { localChainAccounts } from "../../scripts/lib/localChain.ts";
import { sandboxMerchantKey } from "../../api/payments/epaySandbox.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { hashToken } from "../../api/services/accounts/sessions.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { waitFor, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { assert, attest, newCredential, type CeremonyOptions } from "../support/softAuthenticator.ts";
import { enrolTotp, grantRoles, signInWithTotp } from "../support/staff.ts";
import { freshTotpCode } from "../support/totp.ts";
import { buyFromShop, waitIssued, waitRows } from "../resale/support.ts";
import type { Role } from "./matrix.ts";

/** Every key imported here: a code of this form in an answer is a code the caller received. */
export const codePattern = /MTX-[0-9A-F]{16}/;
const price = { priceMinor: "1000", currency: "CNY" };

/** `totpSecret`: the account has TOTP on (staff always: their roles need a second factor). */
export type Person = { client: HttpClient; accountId: bigint; email: string; password: string; totpSecret?: string };
type GuestOrder = { id: string; token: string; keyId: string; contact: string; queryPassword: string };

export type World = Awaited<ReturnType<typeof buildWorld>>;

export async function buildWorld(platform: TestPlatform) {
  const db = platform.ctx.database.db;
  const platformMerchant = {
    pid: platform.ctx.config.resale.epayPid,
    key: sandboxMerchantKey(platform.ctx.config.payments.epaySandboxSecret!, platform.ctx.config.resale.epayPid),
  };

  /**
   * A new account. Staff roles are granted, never chosen; the first admin can only be made in
   * the database. Staff then enrol TOTP (test/support/staff.ts), which lifts the sign-up session
   * to a second-factor one: without it their staff roles are withheld (docs/accounts.md).
   * `totp: false` leaves a granted account without a second factor (it has yet to enrol).
   */
  async function signUp(label: string, roles: string[] = ["buyer"], grant?: "auditor" | "admin", options: { totp?: boolean } = {}): Promise<Person> {
    const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
    const password = `${label}-password-1`;
    const response = await platform.http.post("/api/auth/signup", { email, password, roles });
    expect(response.status, response.text).to.equal(201);
    const accountId = BigInt(response.body.account.id);
    if (grant) await grantRoles(platform, accountId, [grant]);
    const client = platform.http.as(response.body.token);
    if (!(options.totp ?? grant !== undefined)) return { client, accountId, email, password };
    const { totpSecret } = await enrolTotp(client);
    return { client, accountId, email, password, totpSecret };
  }

  /**
   * A new account of the role's kind, for a cell whose call changes its caller's own security
   * settings (TOTP, passkeys, password), so the role's fixture account keeps signing in as before.
   */
  async function accountLike(role: Exclude<Role, "guest">, options: { totp?: boolean } = {}): Promise<Person> {
    if (role === "auditor" || role === "admin") return signUp(`${role}-like`, ["buyer"], role, options);
    const roles = role === "merchant" || role === "otherMerchant" ? ["merchant"] : role === "reseller" ? ["reseller"] : ["buyer"];
    return signUp(`${role}-like`, roles, undefined, options);
  }

  const [shopA, shopB] = await Promise.all([setupMerchant(platform), setupMerchant(platform)]);
  const merchantOf = async (setup: MerchantSetup): Promise<Person> => {
    const me = await setup.merchant.get("/api/me");
    return { client: setup.merchant, accountId: BigInt(me.body.id), email: me.body.email, password: "merchant-password-1" };
  };
  const people: Record<Exclude<Role, "guest">, Person> = {
    buyer: await signUp("buyer"),
    otherBuyer: await signUp("other-buyer"),
    merchant: await merchantOf(shopA),
    otherMerchant: await merchantOf(shopB),
    reseller: await signUp("reseller", ["reseller"]),
    auditor: await signUp("auditor", ["buyer"], "auditor"),
    admin: await signUp("admin", ["buyer"], "admin"),
  };
  const seller = await signUp("seller");

  // Shop A sells a card whose codes are shown at once, a resalable (sealed) card and a manual
  // service; shop B a card of its own.
  const codesProduct = await createProduct(shopA, { name: "Matrix card", quantityMax: 5 });
  // Rental use allowed too, so the rental rows (docs/rentals.md) can offer its entitlements.
  const sealedProduct = await createProduct(shopA, { name: "Matrix sealed card", resaleAllowed: true, rentalAllowed: true, quantityMax: 5 });
  const manualProduct = await createProduct(shopA, { name: "Matrix service", category: "service_voucher", deliveryMode: "manual", manualStock: 50 });
  const productB = await createProduct(shopB, { name: "Shop B card" });
  const pausedProduct = await createProduct(shopA, { name: "Matrix paused card" });
  const paused = await shopA.merchant.patch(`/api/products/${pausedProduct}`, { status: "paused" });
  expect(paused.status, paused.text).to.equal(200);
  const [{ importId }] = await Promise.all([
    importKeys(shopA, codesProduct, randomKeys(40, "MTX")),
    importKeys(shopA, sealedProduct, randomKeys(60, "MTX")),
    importKeys(shopB, productB, randomKeys(5, "MTX")),
  ]);

  async function pay(setup: MerchantSetup, order: { id: string; amountMinor: string }): Promise<void> {
    const paid = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, order, `T${randomBytes(6).toString("hex")}`)));
    expect(paid.text, `paying ${order.id}`).to.equal("success");
  }

  async function paidOrder(client: HttpClient, productId: string, setup: MerchantSetup = shopA): Promise<{ id: string; keyId: string }> {
    const checkout = await client.post("/api/orders", { productId, quantity: 1 });
    expect(checkout.status, checkout.text).to.equal(201);
    await pay(setup, checkout.body.order);
    const view = await waitFor(`fulfilment of ${checkout.body.order.id}`, async () => {
      const response = await client.get(`/api/orders/${checkout.body.order.id}`);
      return response.body.state === "fulfilled" ? response.body : undefined;
    });
    return { id: view.id, keyId: view.items[0].keyId };
  }

  async function guestOrder(): Promise<GuestOrder> {
    const contact = `guest-${randomBytes(4).toString("hex")}@example.com`;
    const queryPassword = "guest-pass-1";
    const checkout = await platform.http.post("/api/orders", { productId: codesProduct, quantity: 1, contact, queryPassword });
    expect(checkout.status, checkout.text).to.equal(201);
    await pay(shopA, checkout.body.order);
    const token = checkout.body.accessToken as string;
    const view = await waitFor("guest fulfilment", async () => {
      const response = await platform.http.get(`/api/orders/${checkout.body.order.id}?token=${token}`);
      return response.body.state === "fulfilled" ? response.body : undefined;
    });
    return { id: view.id, token, keyId: view.items[0].keyId, contact, queryPassword };
  }

  /**
   * A dispute by buyer A on a new paid order of shop A (disputes, docs/disputes.md): open, or
   * escalated by one party (the other then answers; an admin arbitrates).
   */
  async function dispute(stage: "open" | "escalated by buyer" | "escalated by merchant" = "open"): Promise<string> {
    const order = await paidOrder(people.buyer.client, codesProduct);
    const opened = await people.buyer.client.post(`/api/orders/${order.id}/disputes`, { category: "key_invalid", statement: "matrix" });
    expect(opened.status, opened.text).to.equal(201);
    if (stage !== "open") {
      const by = stage === "escalated by buyer" ? people.buyer.client : shopA.merchant;
      const escalated = await by.post(`/api/disputes/${opened.body.id}/escalate`, {});
      expect(escalated.status, escalated.text).to.equal(200);
    }
    return opened.body.id as string;
  }

  /** A sealed entitlement in the person's custody, issued on-chain (so it can be listed or withdrawn). */
  async function sealedEntitlement(person: Person): Promise<{ orderId: string; entitlementId: string; tokenId: bigint }> {
    const bought = await buyFromShop(platform, shopA, person, sealedProduct);
    return { ...bought, tokenId: await waitIssued(platform, bought.entitlementId) };
  }

  async function listing(person: Person): Promise<string> {
    const { entitlementId } = await sealedEntitlement(person);
    const listed = await person.client.post("/api/resale/listings", { entitlementId, ...price });
    expect(listed.status, listed.text).to.equal(201);
    return listed.body.id;
  }

  async function purchase(person: Person): Promise<{ id: string; priceMinor: string }> {
    const bought = await person.client.post(`/api/resale/listings/${await listing(seller)}/purchases`);
    expect(bought.status, bought.text).to.equal(201);
    return bought.body;
  }

  async function manualOrder(): Promise<string> {
    const checkout = await people.otherBuyer.client.post("/api/orders", { productId: manualProduct, quantity: 1 });
    expect(checkout.status, checkout.text).to.equal(201);
    await pay(shopA, checkout.body.order);
    await waitFor("manual order paid", async () => (await people.otherBuyer.client.get(`/api/orders/${checkout.body.order.id}`)).body.state === "paid");
    return checkout.body.order.id;
  }

  async function payout(): Promise<string> {
    const requested = await shopA.merchant.post(`/api/ledger/shops/${shopA.shopId}/payouts`, { amountMinor: "100", currency: "CNY" });
    expect(requested.status, requested.text).to.equal(201);
    return requested.body.payoutId;
  }

  /** A wallet linked to the person's account by Sign-In With Ethereum. */
  async function linkedWallet(person: Person): Promise<PrivateKeyAccount> {
    const wallet = privateKeyToAccount(generatePrivateKey());
    const linked = await person.client.post("/api/wallets/link", await siweLink(person.client, wallet));
    expect(linked.status, linked.text).to.equal(201);
    return wallet;
  }

  async function siweLink(client: HttpClient, wallet: PrivateKeyAccount): Promise<{ message: string; signature: Hex }> {
    const nonce = await client.post("/api/wallets/siwe/nonce");
    expect(nonce.status, nonce.text).to.equal(201);
    const message = createSiweMessage({
      address: wallet.address,
      domain: nonce.body.domain,
      uri: platform.url,
      version: "1",
      chainId: nonce.body.chainId,
      nonce: nonce.body.nonce,
      issuedAt: new Date(),
      expirationTime: new Date(Date.now() + 300_000),
    });
    return { message, signature: await wallet.signMessage({ message }) };
  }

  /** A sealed entitlement of the person's, withdrawn to a wallet (funded for gas) linked to its account. */
  async function inWallet(person: Person, wallet: PrivateKeyAccount): Promise<bigint> {
    const linked = await person.client.post("/api/wallets/link", await siweLink(person.client, wallet));
    expect(linked.status, linked.text).to.equal(201);
    const { entitlementId, tokenId } = await sealedEntitlement(person);
    const withdrawal = await person.client.post("/api/wallets/withdrawals", { entitlementId, wallet: wallet.address });
    expect(withdrawal.status, withdrawal.text).to.equal(202);
    await waitRows(
      platform,
      "withdrawal sent",
      sql`SELECT state FROM wallet_movements WHERE entitlement_id = ${entitlementId} AND direction = 'withdrawal' ORDER BY id DESC LIMIT 1`,
      (rows: { state: string }[]) => rows[0]?.state === "included",
    );
    return tokenId;
  }

  /** A transaction that sends a token from a wallet back into custody: what a deposit credits. */
  async function depositTransaction(wallet: PrivateKeyAccount, tokenId: bigint): Promise<Hex> {
    const chain = platform.ctx.chain!;
    const client = createWalletClient({ account: wallet, chain: chain.publicClient.chain!, transport: http(platform.rpcUrl) });
    const hash = await client.writeContract({
      address: chain.addresses.entitlement,
      abi: entitlementTokenAbi,
      functionName: "transferFrom",
      args: [wallet.address, chain.custodian!, tokenId],
    });
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
    return hash;
  }

  /** A second session of the person (logging out ends only that one), with its TOTP if it has one. */
  async function session(person: Person): Promise<string> {
    if (person.totpSecret) return (await signInWithTotp(platform, { ...person, totpSecret: person.totpSecret })).token!;
    const login = await platform.http.post("/api/auth/login", { email: person.email, password: person.password });
    expect([login.status, login.body?.state], login.text).to.deep.equal([200, "signed_in"]);
    return login.body.token;
  }

  // Passkeys, made with the software authenticator against the platform's relying party (its
  // PUBLIC_URL, which the test platform sets to its own address).
  const relyingParty: CeremonyOptions = { origin: new URL(platform.url).origin, rpId: new URL(platform.url).hostname };
  async function passkey(person: Person) {
    const credential = newCredential();
    const started = await person.client.post("/api/account/passkeys/options");
    expect(started.status, started.text).to.equal(200);
    const registered = await person.client.post("/api/account/passkeys", {
      name: "Matrix key",
      response: attest(credential, started.body.challenge, relyingParty),
    });
    expect(registered.status, registered.text).to.equal(201);
    return { credential, id: registered.body.id as string };
  }
  /** The body of POST /api/account/passkeys for the person: a fresh challenge, answered. */
  async function passkeyRegistration(person: Person) {
    const started = await person.client.post("/api/account/passkeys/options");
    expect(started.status, started.text).to.equal(200);
    return { name: "Matrix key", response: attest(newCredential(), started.body.challenge, relyingParty) };
  }
  /** The body of POST /api/auth/passkey: a new account's passkey answering a sign-in challenge. */
  async function passkeySignIn() {
    const { credential } = await passkey(await signUp("passkey"));
    const started = await platform.http.post("/api/auth/passkey/options", {});
    expect(started.status, started.text).to.equal(200);
    return { response: assert(credential, started.body.challenge, relyingParty) };
  }
  /** A pending sign-in of a new account with TOTP, and a code for it. */
  async function secondFactor() {
    const person = await signUp("second-factor", ["buyer"], undefined, { totp: true });
    const login = await platform.http.post("/api/auth/login", { email: person.email, password: person.password });
    expect([login.status, login.body?.state], login.text).to.deep.equal([200, "second_factor_required"]);
    return { pendingToken: login.body.pendingToken as string, code: await freshTotpCode(person.totpSecret!) };
  }
  /** A password reset token of a new account, as its mail would carry it (only the hash is stored). */
  async function passwordResetToken(): Promise<string> {
    const person = await signUp("reset");
    const token = randomBytes(32).toString("base64url");
    await db.execute(
      sql`INSERT INTO password_reset_tokens (token_hash, account_id, expires_at) VALUES (${hashToken(token)}, ${person.accountId}, now() + interval '30 minutes')`,
    );
    return token;
  }
  // Risk rules: a product whose every checkout is held for review (threshold 0), and blacklist
  // entries of shop A and of the platform to remove.
  const reviewedProduct = await createProduct(shopA, { name: "Matrix reviewed card" });
  await importKeys(shopA, reviewedProduct, randomKeys(20, "MTX"));
  const thresholds = await shopA.merchant.put(`/api/products/${reviewedProduct}/risk-thresholds`, { reviewScore: 0, blockScore: null });
  expect(thresholds.status, thresholds.text).to.equal(204);
  /** An unpaid order of buyer B held for review (rejecting it fails it). */
  async function heldOrder(): Promise<string> {
    const checkout = await people.otherBuyer.client.post("/api/orders", { productId: reviewedProduct, quantity: 1 });
    expect(checkout.status, checkout.text).to.equal(201);
    return checkout.body.order.id;
  }
  /** A blacklist entry (of shop A, or the platform's when `shopId` is null). */
  async function blacklistEntry(shopId: string | null): Promise<string> {
    const value = `blacklisted-${randomBytes(4).toString("hex")}@example.com`;
    const client = shopId ? shopA.merchant : people.admin.client;
    const added = await client.post(shopId ? `/api/shops/${shopId}/blacklist` : "/api/admin/blacklist", { kind: "email", value, reason: "matrix" });
    expect(added.status, added.text).to.equal(201);
    return added.body.id;
  }

  /** The public id of one of the person's sessions (the one `token` opens). */
  async function sessionId(token: string): Promise<string> {
    const listed = await platform.http.as(token).get("/api/account/sessions");
    expect(listed.status, listed.text).to.equal(200);
    return listed.body.items.find((item: { current: boolean }) => item.current).id;
  }

  // Buyer A's orders and entitlements; buyer B and shop B have sales of their own, so a refusal
  // is not explained by an empty account.
  const orderA = await paidOrder(people.buyer.client, codesProduct);
  await paidOrder(people.otherBuyer.client, codesProduct);
  await paidOrder(people.otherBuyer.client, productB, shopB);
  const guest = await guestOrder();
  // A guest order whose buyer revoked its access: the token it had opens nothing any more.
  const revokedGuest = await guestOrder();
  const revoked = await platform.http.post(`/api/orders/${revokedGuest.id}/access/revoke`, { token: revokedGuest.token });
  expect(revoked.status, revoked.text).to.equal(200);
  const [sealedA, sealedForListing, sealedForWithdrawal, listedByBuyer, purchaseByBuyer, purchaseToNotify, manualOrderId] = await Promise.all([
    sealedEntitlement(people.buyer),
    sealedEntitlement(people.buyer),
    sealedEntitlement(people.buyer),
    listing(people.buyer),
    purchase(people.buyer),
    purchase(people.otherBuyer),
    manualOrder(),
  ]);
  const sealedOrderA = await sealedEntitlement(people.buyer);
  // Buyer A keeps one token in a wallet (the wallet reveal's row) and sends another back into
  // custody (the deposit's row); the local chain's test accounts have ether for gas.
  const revealWallet = privateKeyToAccount(localChainAccounts.wallet3 as Hex);
  const depositWallet = privateKeyToAccount(localChainAccounts.wallet2 as Hex);
  const [walletTokenId, depositTokenId] = await Promise.all([inWallet(people.buyer, revealWallet), inWallet(people.buyer, depositWallet)]);
  const depositTx = await depositTransaction(depositWallet, depositTokenId);
  const wallets = Object.fromEntries(
    await Promise.all(Object.entries(people).map(async ([role, person]) => [role, await linkedWallet(person)] as const)),
  ) as Record<Exclude<Role, "guest">, PrivateKeyAccount>;

  // Shop A's payable (platform-collected money, e.g. the PaymentRouter) funds its payouts.
  await postOrderPayment(db, {
    orderId: "matrix-chain-sale",
    shopId: BigInt(shopA.shopId),
    amountMinor: 1_000_000n,
    currency: "CNY",
    provider: "chain",
    platformFeeBps: 500,
  });
  const payable = await queryOne<{ id: bigint }>(
    db,
    sql`SELECT id FROM ledger_accounts WHERE owner_type = 'shop' AND owner_id = ${BigInt(shopA.shopId)} AND purpose = 'payable'`,
  );
  const topup = await shopA.merchant.post(`/api/ledger/shops/${shopA.shopId}/topups`, { amountMinor: "500", currency: "CNY" });
  expect(topup.status, topup.text).to.equal(201);
  const unpaidOrder = (await people.otherBuyer.client.post("/api/orders", { productId: codesProduct, quantity: 1 })).body.order;

  // The salts buyer A and the guest were given with their (revealed) codes: no one else's
  // answer may carry them (staff get certificates without salts).
  const saltOf = async (client: HttpClient, path: string) => {
    const certificate = await client.get(path);
    expect(certificate.body.commitment?.salt, certificate.text).to.match(/^0x[0-9a-f]{64}$/);
    return certificate.body.commitment.salt as string;
  };
  const salts = [
    await saltOf(people.buyer.client, `/api/orders/${orderA.id}/keys/${orderA.keyId}/certificate`),
    await saltOf(platform.http, `/api/orders/${guest.id}/keys/${guest.keyId}/certificate?token=${guest.token}`),
  ];

  // The journal is anchored every LEDGER_ANCHOR_INTERVAL_SECONDS; the indexer records issuances.
  const anchored = await waitFor(
    "an anchored journal transaction",
    async () => (await platform.http.get("/api/ledger/anchors")).body.items?.find((anchor: { transactionIds: string[] }) => anchor.transactionIds.length > 0),
    120_000,
    500,
  );
  await waitFor("the indexed issuance", async () => (await platform.http.get(`/api/chain/tokens/${sealedA.tokenId}/timeline`)).status === 200, 120_000, 500);

  // Distribution (docs/distribution.md): buyer A is the agent of a sub-store of shop A carrying
  // the codes card; a referrer that nobody referred gives its link to every role.
  const bounds = await shopA.merchant.put(`/api/products/${codesProduct}/agent-markup`, { bounds: { markupMinMinor: "10", markupMaxMinor: "100" } });
  expect(bounds.status, bounds.text).to.equal(200);
  const agentInvitation = async (setup: MerchantSetup) => {
    const invitation = await setup.merchant.post(`/api/shops/${setup.shopId}/agent-invitations`);
    expect(invitation.status, invitation.text).to.equal(201);
    return invitation.body.token as string;
  };
  const substoreSlug = `mtx-${randomBytes(4).toString("hex")}`;
  const joined = await people.buyer.client.post("/api/agent-invitations/accept", {
    token: await agentInvitation(shopA),
    slug: substoreSlug,
    name: "Matrix agent",
    colour: "#336699",
  });
  expect(joined.status, joined.text).to.equal(201);
  const carried = await people.buyer.client.post(`/api/substores/${joined.body.id}/products`, { productId: codesProduct, markupMinor: "60" });
  expect(carried.status, carried.text).to.equal(201);
  // Every role has released earnings to ask a payout of (an operator's adjustment stands in for past sales).
  await postJournal(db, {
    idempotencyKey: "matrix:distributor-earnings",
    kind: "adjustment",
    reference: { type: "adjustment", id: "matrix-distributor-earnings" },
    postings: [
      { account: { ownerType: "platform", ownerId: 0n, purpose: "adjustments" }, amountMinor: -1000n * BigInt(Object.keys(people).length), currency: "CNY" },
      ...Object.values(people).map((person) => ({
        account: { ownerType: "distributor" as const, ownerId: person.accountId, purpose: "proceeds" as const },
        amountMinor: 1000n,
        currency: "CNY",
      })),
    ],
  });
  const referrer = await signUp("referrer");
  const referralCode = (await referrer.client.get("/api/agent/overview")).body.referralCode as string;

  return {
    platform,
    people,
    seller,
    distribution: { substoreId: joined.body.id as string, slug: substoreSlug, referralCode },
    shopA,
    shopB,
    products: { codes: codesProduct, sealed: sealedProduct, manual: manualProduct, paused: pausedProduct, reviewed: reviewedProduct },
    orderA,
    guest,
    revokedGuest,
    sealedOrderA,
    sealedA,
    sealedForListing,
    sealedForWithdrawal,
    listedByBuyer,
    purchaseByBuyer,
    purchaseToNotify,
    manualOrderId,
    importId,
    wallets,
    walletToken: { holder: revealWallet, tokenId: walletTokenId },
    depositTx,
    payableAccountId: String(payable!.id),
    topup: topup.body as { id: string; amountMinor: string },
    unpaidOrder: unpaidOrder as { id: string; amountMinor: string },
    anchoredTransactionId: anchored.transactionIds[0] as string,
    platformMerchant,
    /**
     * Finds in an answer what no role may ever receive: a shop's or the platform's EPay key, an
     * account's password, or another person's session token.
     */
    forbiddenIn: (text: string, role: Role) => {
      const sessions = Object.entries(people).flatMap(([owner, person]) => (owner === role ? [] : [person.client.token!]));
      const passwords = [...Object.values(people), seller].map((person) => person.password);
      return [shopA.sandbox.key, shopB.sandbox.key, platformMerchant.key, ...passwords, ...sessions].find((secret) => text.includes(secret));
    },
    /** Finds a key's code or a known salt in an answer's text. */
    secretIn: (text: string) => text.match(codePattern)?.[0] ?? salts.find((salt) => text.includes(salt)),
    fresh: {
      agentInvitation,
      guestOrder,
      sealedEntitlement,
      listing,
      manualOrder,
      payout,
      session,
      siweLink,
      signUp,
      accountLike,
      passkey,
      passkeyRegistration,
      passkeySignIn,
      secondFactor,
      passwordResetToken,
      sessionId,
      heldOrder,
      blacklistEntry,
      dispute,
      paidOrder: () => paidOrder(people.buyer.client, codesProduct),
    },
  };
}
