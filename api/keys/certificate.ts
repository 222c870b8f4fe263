// Builds a key's certificate (docs/certificate.md) from the keys, batches, shops and
// entitlements rows. It carries everything a third party needs to verify the key against the
// chain alone, and never the key itself: the buyer holds the key separately, so the
// certificate can be shared, published or attached to a resale listing.
//
// The salt is the secret that keeps a short code from being brute-forced out of its commitment,
// so a certificate carries it only once the code itself is out: for the holder who may see the
// code, after reveal (redemption). A sealed entitlement's certificate leaves it out (the leaf,
// which holds the commitment, still proves inclusion), and staff never get it.
import { toHex, type Hex } from "viem";
import { AppError } from "../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { certificateSchema, certificateVersion, commitmentScheme, leafScheme, type Certificate } from "../../core/keys/certificateSchema.ts";
import { leafEncoding, leafFieldNames, leafHash, leafTuple, type LeafValues } from "../../core/keys/leaf.ts";

export type CertificateChain = { chainId: bigint; registry: Hex; entitlement: Hex };

/**
 * Who the certificate is for, which decides the salt:
 * - "withhold": anyone but the holder at reveal (staff, the merchant, a buyer who resold): no salt;
 * - "holder": the one who may see the code: the salt once the entitlement is revealed, none while sealed;
 * - "internal": a check inside the server that never leaves it (verifying a key a caller sent).
 */
export type SaltRelease = "withhold" | "holder" | "internal";

type CertificateRow = {
  shop_id: bigint;
  product_id: bigint;
  batch_id: bigint;
  leaf_index: number;
  salt: Uint8Array;
  commitment: Uint8Array;
  leaf_hash: Uint8Array;
  /** The key's own proof (keys imported before migration 0220), else read from its batch's tree. */
  proof: Uint8Array[] | null;
  root: Uint8Array | null;
  key_count: number;
  anchor_state: string;
  anchor_tx: string | null;
  anchor_block: bigint | null;
  batch_chain_id: bigint | null;
  batch_registry: string | null;
  issuer_address: string | null;
  token_id: string | null;
  issue_tx: string | null;
  issue_block: bigint | null;
  entitlement_state: string | null;
};

export async function buildCertificate(db: Drizzle, keyId: bigint, chain: CertificateChain, salt: SaltRelease): Promise<Certificate> {
  const row = await queryOne<CertificateRow>(
    db,
    sql`SELECT k.shop_id, k.product_id, k.batch_id, k.leaf_index, k.salt, k.commitment, k.leaf_hash,
               coalesce(k.proof, key_proof(k.batch_id, k.leaf_index)) AS proof,
               b.root, b.key_count, b.anchor_state, b.anchor_tx, b.anchor_block,
               b.chain_id AS batch_chain_id, b.registry_address AS batch_registry, s.issuer_address,
               e.token_id::text AS token_id, e.issue_tx, e.issue_block,
               (SELECT state FROM entitlements WHERE key_id = k.id) AS entitlement_state
        FROM keys k
        JOIN batches b ON b.id = k.batch_id
        JOIN shops s ON s.id = k.shop_id
        LEFT JOIN entitlements e ON e.key_id = k.id AND e.issue_state IN ('included', 'confirmed')
        WHERE k.id = ${keyId}`,
  );
  if (!row) throw new AppError("not_found", `No key ${keyId}.`);
  if (!row.root) throw new AppError("invalid_state", `Key ${keyId}'s batch is still being imported.`, { retryable: true });
  // The leaf was built for the batch's chain and registry; a certificate naming other
  // contracts would never verify, so a mismatch is a configuration error, not a certificate.
  if (row.batch_chain_id === null || BigInt(row.batch_chain_id) !== chain.chainId || row.batch_registry?.toLowerCase() !== chain.registry.toLowerCase()) {
    throw new AppError("invalid_state", `Key ${keyId}'s batch was committed for another chain or registry than the one configured.`);
  }
  const values: LeafValues = {
    chainId: chain.chainId,
    registry: row.batch_registry as Hex,
    shopId: BigInt(row.shop_id),
    batchId: BigInt(row.batch_id),
    leafIndex: row.leaf_index,
    commitment: toHex(row.commitment),
  };
  if (!row.proof) throw new Error(`Invariant: key ${keyId} has no proof, and its batch no stored tree holding it.`);
  const hash = leafHash(values);
  if (hash !== toHex(row.leaf_hash)) throw new Error(`Invariant: key ${keyId}'s stored leaf hash does not match its values.`);
  const anchored = row.anchor_tx !== null && row.anchor_block !== null && ["included", "confirmed"].includes(row.anchor_state);
  const issued = row.token_id !== null && row.issue_tx !== null && row.issue_block !== null;
  const certificate: Certificate = {
    version: certificateVersion,
    chain: { chainId: chain.chainId.toString(), registry: values.registry, entitlement: chain.entitlement },
    shop: { id: values.shopId.toString(), issuer: row.issuer_address },
    productId: BigInt(row.product_id).toString(),
    batch: {
      id: values.batchId.toString(),
      root: toHex(row.root),
      keyCount: row.key_count,
      anchor: anchored ? { transaction: row.anchor_tx!, block: BigInt(row.anchor_block!).toString() } : null,
    },
    leaf: {
      index: row.leaf_index,
      scheme: leafScheme,
      fields: [...leafFieldNames],
      types: [...leafEncoding],
      values: leafTuple(values),
      hash,
    },
    commitment: { scheme: commitmentScheme, salt: releasesSalt(salt, row.entitlement_state) ? toHex(row.salt) : null, value: values.commitment },
    proof: row.proof.map((node) => toHex(node)),
    issuance: issued ? { tokenId: row.token_id!, transaction: row.issue_tx!, block: BigInt(row.issue_block!).toString() } : null,
  };
  // What we hand out must pass our own schema: a certificate that a verifier rejects is a bug.
  return certificateSchema.parse(certificate);
}

function releasesSalt(release: SaltRelease, entitlementState: string | null): boolean {
  if (release === "internal") return true;
  return release === "holder" && entitlementState === "redeemed";
}
