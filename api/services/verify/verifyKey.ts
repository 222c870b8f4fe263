// The public verification service: a key and/or its certificate in, a verdict out, with the
// shop, product and batch it belongs to and the on-chain facts (anchor block and transaction,
// issuance, redemption) read from the chain through viem, not from our database. The key is
// never stored, logged or echoed back.
import { AppError } from "../../../core/errors.ts";
import type { ChainContext } from "../../chain/chainContext.ts";
import { buildCertificate } from "../../keys/certificate.ts";
import type { Certificate } from "../../../core/keys/certificateSchema.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { verifyCertificateOffline, verifyCertificateOnChain } from "../../../core/keys/verifyCertificate.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { findKeyBySecret } from "./findKeyBySecret.ts";
import { zeroAddress } from "viem";
import { entitlementTokenAbi } from "../../../core/chain/abis.ts";

export type VerifyInput = { key?: string; certificate?: unknown };

export async function verifyKey(db: Drizzle, ring: MasterKeyRing, chain: ChainContext | undefined, input: VerifyInput) {
  if (!input.key && !input.certificate) throw new AppError("validation_failed", "Send a key, a certificate, or both.");
  if (!chain) throw new AppError("chain_unavailable", "No chain is configured, so nothing can be verified against it.", { retryable: true });
  let certificate: Certificate | undefined;
  let foundInShop = false;
  if (input.certificate !== undefined) {
    const offline = verifyCertificateOffline(input.certificate, input.key);
    if (!offline.certificate) return { verdict: "invalid" as const, reason: "The certificate is malformed.", checks: offline.checks };
    certificate = offline.certificate;
  } else {
    const found = await findKeyBySecret(db, ring, input.key!);
    // Only sold keys are found (an oracle for unsold stock would let anyone test guesses against
    // it), so the sentence must hold for a committed key still in stock too.
    if (!found) return { verdict: "unknown" as const, reason: "No sold key on this platform matches this key.", checks: [] };
    foundInShop = true;
    // With the salt, so the key the caller sent is checked against its commitment; this
    // certificate never leaves the server (see `certificate` below).
    certificate = await buildCertificate(
      db,
      found.keyId,
      { chainId: chain.chainId, registry: chain.addresses.registry, entitlement: chain.addresses.entitlement },
      "internal",
    );
  }
  // A certificate of another Keyledger instance (a docked key's supplier, docs/docking.md) names
  // its own registry: batch ids are per registry, so this database describes only its own.
  const local = certificate.chain.registry.toLowerCase() === chain.addresses.registry.toLowerCase();
  const context = local ? await describe(db, certificate) : foreign(certificate);
  const result = await verifyCertificateOnChain(chain.publicClient, certificate, {
    key: input.key,
    expectedIssuer: (context.issuer ?? undefined) as `0x${string}` | undefined,
  });
  // The token lives in the certificate's entitlement contract (the one the on-chain checks read), not necessarily ours.
  const terms = await readTerms(chain, certificate.chain.entitlement as `0x${string}`, result.tokenId);
  const expired = result.genuine && terms.expired;
  return {
    verdict: expired ? ("expired" as const) : result.genuine ? ("genuine" as const) : ("invalid" as const),
    reason: expired
      ? "The key is committed in a batch root anchored on-chain, but its entitlement expired on-chain."
      : result.genuine
        ? "The key is committed in a batch root anchored on-chain."
        : "A check failed against the chain; see checks.",
    checkedAgainst: "chain" as const,
    foundBy: foundInShop ? ("key" as const) : ("certificate" as const),
    checks: result.checks,
    entitlement: { state: result.state, tokenId: result.tokenId ?? null, owner: result.owner ?? null, ...terms.view },
    anchor: { issuer: result.issuer ?? null, block: result.anchorBlock ?? null },
    shop: context.shop,
    product: context.product,
    batch: { id: certificate.batch.id, root: certificate.batch.root, anchor: certificate.batch.anchor },
    sale: context.sale,
    issuance: certificate.issuance,
    entitlementId: context.entitlementId,
    certificate: foundInShop ? undefined : certificate,
  };
}

/** The token's user, the user's expiry and its own expiry, read from the chain (ERC-4907, expiries). */
async function readTerms(chain: ChainContext, entitlement: `0x${string}`, tokenId: string | null | undefined) {
  const none = { expired: false, view: { user: null, userExpires: null, expiresAt: null } };
  if (!tokenId) return none;
  const read = (functionName: "userOf" | "userExpires" | "expiryOf" | "isExpired") =>
    chain.publicClient.readContract({ address: entitlement, abi: entitlementTokenAbi, functionName, args: [BigInt(tokenId)] });
  const [user, userExpires, expiry, expired] = (await Promise.all([read("userOf"), read("userExpires"), read("expiryOf"), read("isExpired")])) as [
    string,
    bigint,
    bigint,
    boolean,
  ];
  const iso = (seconds: bigint) => (seconds === 0n ? null : new Date(Number(seconds) * 1000).toISOString());
  const hasUser = user !== zeroAddress;
  return { expired, view: { user: hasUser ? user : null, userExpires: hasUser ? iso(userExpires) : null, expiresAt: iso(expiry) } };
}

/** A certificate of another instance: its shop and product are named only by their ids. */
function foreign(certificate: Certificate): Awaited<ReturnType<typeof describe>> {
  return {
    issuer: null,
    entitlementId: null,
    shop: { id: certificate.shop.id, name: null, slug: null },
    product: { id: certificate.productId, name: null },
    sale: { sold: false, soldAt: null },
  };
}

async function describe(db: Drizzle, certificate: Certificate) {
  const row = await queryOne<{
    shop_name: string;
    slug: string;
    issuer_address: string | null;
    product_name: string;
    status: string | null;
    sold_at: Date | null;
    entitlement_id: bigint | null;
  }>(
    db,
    sql`SELECT s.name AS shop_name, s.slug, s.issuer_address, p.name AS product_name, k.status, k.sold_at,
               (SELECT e.id FROM entitlements e WHERE e.key_id = k.id) AS entitlement_id
        FROM batches b JOIN shops s ON s.id = b.shop_id JOIN products p ON p.id = b.product_id
        LEFT JOIN keys k ON k.batch_id = b.id AND k.leaf_index = ${certificate.leaf.index}
        WHERE b.id = ${BigInt(certificate.batch.id)}`,
  );
  return {
    issuer: row?.issuer_address ?? null,
    entitlementId: row?.entitlement_id == null ? null : String(row.entitlement_id),
    shop: row ? { id: certificate.shop.id, name: row.shop_name, slug: row.slug } : { id: certificate.shop.id, name: null, slug: null },
    product: row ? { id: certificate.productId, name: row.product_name } : { id: certificate.productId, name: null },
    sale: { sold: row?.status === "sold", soldAt: row?.sold_at ? new Date(row.sold_at).toISOString() : null },
  };
}
