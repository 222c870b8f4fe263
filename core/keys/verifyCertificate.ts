// Verifies a key's certificate (docs/certificate.md) without the shop's database or API.
//
// verifyCertificateOffline: the certificate's own consistency: its schema, that the leaf's
// values are the certificate's chain, registry, shop, batch, index and commitment, the leaf
// hash (viem) and the Merkle proof against the root (@openzeppelin/merkle-tree, the reference
// implementation: two independent encoders agree or the check fails), and with the key, that
// keccak256(salt || key) is the commitment.
//
// verifyCertificateOnChain: adds the chain's facts, read through a viem public client only:
// the chain id; the root the registry holds for the batch and the BatchAnchored event that put
// it there (shop, root, key count, issuer) and that the issuer held ISSUER_ROLE at that block;
// that the entitlement contract is bound to this registry; and once issued, that the leaf is
// issued, that the issuance transaction's EntitlementsIssued event maps the token id to this
// leaf, the token's batch and owner, and whether it was redeemed (locked) or revoked.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { BaseError, HttpRequestError, TimeoutError, decodeEventLog, parseAbi, type Hex, type PublicClient } from "viem";
import { certificateSchema, type Certificate } from "./certificateSchema.ts";
import { commitmentOf, leafEncoding, leafHash, unpackLeafIndexes } from "./leaf.ts";

export type CheckStatus = "pass" | "fail" | "skip";
export type VerificationCheck = { name: string; status: CheckStatus; detail: string };
export type EntitlementState = "sealed" | "redeemed" | "revoked" | "not_issued" | "unknown";

export type OfflineVerdict = {
  genuine: boolean;
  checks: VerificationCheck[];
  certificate?: Certificate;
};

export type OnChainVerdict = OfflineVerdict & {
  state: EntitlementState;
  tokenId?: string;
  owner?: string;
  issuer?: string;
  anchorBlock?: string;
};

export type VerifyOnChainOptions = { key?: string; expectedIssuer?: Hex };

// Stryker disable all: the on-chain half of the verifier needs a chain; test/keys/
// verifyCertificate.test.ts runs it against a Hardhat node, which the mutation run's budget of
// pure tests cannot afford (docs/testing.md). The offline half below is mutated.
/** The contracts' functions and events the verifier reads (a subset of their ABIs). */
export const verifierAbi = {
  registry: parseAbi([
    "function rootOf(uint64 batchId) view returns (bytes32)",
    "function ISSUER_ROLE() view returns (bytes32)",
    "function hasRole(bytes32 role, address account) view returns (bool)",
    "event BatchAnchored(uint64 indexed batchId, uint64 indexed shopId, bytes32 root, uint32 keyCount, address issuer)",
  ]),
  entitlement: parseAbi([
    "function registry() view returns (address)",
    "function isIssued(uint64 batchId, uint32 leafIndex) view returns (bool)",
    "function batchOf(uint256 tokenId) view returns (uint64)",
    "function ownerOf(uint256 tokenId) view returns (address)",
    "function locked(uint256 tokenId) view returns (bool)",
    "function isRevoked(uint256 tokenId) view returns (bool)",
    "event EntitlementsIssued(uint64 indexed batchId, uint256 firstTokenId, uint256 count, bytes leafIndexes)",
  ]),
};

// Stryker restore all
export function verifyCertificateOffline(input: unknown, key?: string): OfflineVerdict {
  const checks: VerificationCheck[] = [];
  const parsed = certificateSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    checks.push({ name: "schema", status: "fail", detail: `not a keyledger-certificate/1 or /2: ${issues.join("; ")}` });
    return { genuine: false, checks };
  }
  const certificate = parsed.data;
  checks.push({ name: "schema", status: "pass", detail: certificate.version });

  const [chainId, registry, shopId, batchId, leafIndex, commitment] = certificate.leaf.values;
  const mismatches = [
    chainId !== certificate.chain.chainId && "chainId",
    registry.toLowerCase() !== certificate.chain.registry.toLowerCase() && "registry",
    shopId !== certificate.shop.id && "shopId",
    batchId !== certificate.batch.id && "batchId",
    leafIndex !== String(certificate.leaf.index) && "leafIndex",
    commitment.toLowerCase() !== certificate.commitment.value.toLowerCase() && "commitment",
  ].filter(Boolean);
  checks.push(
    mismatches.length === 0
      ? { name: "leaf_values", status: "pass", detail: "the leaf commits to this chain, registry, shop, batch, index and commitment" }
      : { name: "leaf_values", status: "fail", detail: `the leaf's values differ from the certificate's ${mismatches.join(", ")}` },
  );

  // The schema admits any decimal; a value beyond its ABI type (a shop id of 2^64) makes the
  // encoder throw, which must read as a failed check, not crash the verifier.
  const computedLeaf = safely(() =>
    leafHash({
      chainId: BigInt(chainId),
      registry: registry as Hex,
      shopId: BigInt(shopId),
      batchId: BigInt(batchId),
      leafIndex: Number(leafIndex),
      commitment: commitment as Hex,
    }),
  );
  checks.push(
    computedLeaf === undefined
      ? { name: "leaf_hash", status: "fail", detail: `the leaf's values do not fit their types (${leafEncoding.join(", ")})` }
      : computedLeaf === certificate.leaf.hash.toLowerCase()
        ? { name: "leaf_hash", status: "pass", detail: computedLeaf }
        : { name: "leaf_hash", status: "fail", detail: `the values hash to ${computedLeaf}, not ${certificate.leaf.hash}` },
  );

  const proven = safely(() => StandardMerkleTree.verify(certificate.batch.root, [...leafEncoding], certificate.leaf.values, certificate.proof));
  checks.push(
    proven === true
      ? { name: "merkle_proof", status: "pass", detail: `the leaf is in root ${certificate.batch.root}` }
      : { name: "merkle_proof", status: "fail", detail: `the proof does not lead from the leaf to root ${certificate.batch.root}` },
  );

  const salt = certificate.commitment.salt;
  if (salt === null) {
    // A sealed entitlement's certificate: the proof shows the leaf, which holds the commitment,
    // is in the anchored root; which key it commits to can only be checked once the salt is
    // released with the code at reveal.
    checks.push({
      name: "key_commitment",
      status: "skip",
      detail:
        "unchecked: this certificate carries no salt (it was made while the entitlement was sealed); the leaf and its commitment are proven, the key can be checked with the holder's certificate after reveal",
    });
  } else if (key === undefined) {
    checks.push({ name: "key_commitment", status: "skip", detail: "no key given: the certificate is checked, not the key" });
  } else {
    // Keys are imported trimmed (api/keys/parseImport.ts), so a pasted key is trimmed too.
    const matches = commitmentOf(salt as Hex, key.trim()) === certificate.commitment.value.toLowerCase();
    checks.push(
      matches
        ? { name: "key_commitment", status: "pass", detail: "keccak256(salt || key) equals the commitment" }
        : { name: "key_commitment", status: "fail", detail: "this key does not match the certificate's commitment" },
    );
  }
  return { genuine: checks.every((check) => check.status !== "fail"), checks, certificate };
}

// Stryker disable all: on-chain (see above).
export async function verifyCertificateOnChain(client: PublicClient, input: unknown, options: VerifyOnChainOptions = {}): Promise<OnChainVerdict> {
  const offline = verifyCertificateOffline(input, options.key);
  if (!offline.certificate) return { ...offline, state: "unknown" };
  const certificate = offline.certificate;
  const checks = [...offline.checks];
  const add = (name: string, ok: boolean, pass: string, fail: string) => checks.push({ name, status: ok ? "pass" : "fail", detail: ok ? pass : fail });

  const chainId = await client.getChainId();
  add(
    "chain_id",
    String(chainId) === certificate.chain.chainId,
    `chain ${chainId}`,
    `the RPC serves chain ${chainId}, the certificate names ${certificate.chain.chainId}`,
  );
  if (String(chainId) !== certificate.chain.chainId) return finish(checks, "unknown");

  const registry = certificate.chain.registry as Hex;
  const entitlement = certificate.chain.entitlement as Hex;
  const batchId = BigInt(certificate.batch.id);
  const leafIndex = certificate.leaf.index;

  const anchoredRoot = await readOrFail(checks, "root_anchored", () =>
    client.readContract({ address: registry, abi: verifierAbi.registry, functionName: "rootOf", args: [batchId] }),
  );
  if (anchoredRoot !== undefined) {
    add(
      "root_anchored",
      anchoredRoot.toLowerCase() === certificate.batch.root.toLowerCase(),
      `the registry holds root ${anchoredRoot} for batch ${batchId}`,
      BigInt(anchoredRoot) === 0n
        ? `the registry holds no root for batch ${batchId}`
        : `the registry holds root ${anchoredRoot} for batch ${batchId}, not the certificate's`,
    );
  }

  const anchor = await findAnchorEvent(client, certificate);
  let issuer: Hex | undefined;
  if (!anchor) {
    checks.push({ name: "anchor_event", status: "fail", detail: `no BatchAnchored event for batch ${batchId} from registry ${registry}` });
  } else {
    issuer = anchor.issuer;
    const problems = [
      anchor.shopId.toString() !== certificate.shop.id && "shop",
      anchor.root.toLowerCase() !== certificate.batch.root.toLowerCase() && "root",
      anchor.keyCount !== certificate.batch.keyCount && "key count",
      certificate.shop.issuer !== null && certificate.shop.issuer.toLowerCase() !== anchor.issuer.toLowerCase() && "issuer",
      options.expectedIssuer !== undefined && options.expectedIssuer.toLowerCase() !== anchor.issuer.toLowerCase() && "expected issuer",
      certificate.batch.anchor !== null && certificate.batch.anchor.block !== anchor.blockNumber.toString() && "block",
    ].filter(Boolean);
    add(
      "anchor_event",
      problems.length === 0,
      `anchored by ${anchor.issuer} in block ${anchor.blockNumber} (transaction ${anchor.transactionHash})`,
      `the BatchAnchored event differs from the certificate in: ${problems.join(", ")}`,
    );
    checks.push(await checkIssuerRole(client, registry, anchor));
  }

  const boundRegistry = await readOrFail(checks, "entitlement_registry", () =>
    client.readContract({ address: entitlement, abi: verifierAbi.entitlement, functionName: "registry" }),
  );
  if (boundRegistry !== undefined) {
    add(
      "entitlement_registry",
      boundRegistry.toLowerCase() === registry.toLowerCase(),
      `entitlement contract ${entitlement} issues against registry ${registry}`,
      `entitlement contract ${entitlement} issues against ${boundRegistry}, not ${registry}`,
    );
  }

  const issued = await readOrFail(checks, "leaf_issued", () =>
    client.readContract({ address: entitlement, abi: verifierAbi.entitlement, functionName: "isIssued", args: [batchId, leafIndex] }),
  );
  if (issued === undefined) return finish(checks, "unknown", issuer, anchor?.blockNumber);
  if (!certificate.issuance) {
    checks.push({
      name: "leaf_issued",
      status: "skip",
      detail: issued
        ? "the leaf is issued on-chain, after this certificate was made: download a fresh one for its token"
        : "not issued on-chain yet: issuance is batched and follows the sale",
    });
    return finish(checks, "not_issued", issuer, anchor?.blockNumber);
  }
  add("leaf_issued", issued, `leaf ${leafIndex} of batch ${batchId} is issued`, `leaf ${leafIndex} of batch ${batchId} is not issued on-chain`);

  const tokenId = BigInt(certificate.issuance.tokenId);
  const mapped = await findIssuedLeaf(client, certificate, tokenId);
  add(
    "token_leaf",
    mapped === leafIndex,
    `token ${tokenId} was issued for leaf ${leafIndex} in block ${certificate.issuance.block}`,
    mapped === undefined
      ? `transaction ${certificate.issuance.transaction} holds no EntitlementsIssued event for token ${tokenId} of batch ${batchId} in block ${certificate.issuance.block}`
      : `token ${tokenId} was issued for leaf ${mapped}, not ${leafIndex}`,
  );

  const tokenBatch = await readOrFail(checks, "token_batch", () =>
    client.readContract({ address: entitlement, abi: verifierAbi.entitlement, functionName: "batchOf", args: [tokenId] }),
  );
  if (tokenBatch !== undefined)
    add("token_batch", tokenBatch === batchId, `token ${tokenId} belongs to batch ${batchId}`, `token ${tokenId} belongs to batch ${tokenBatch}`);
  const owner = await readOrFail(checks, "token_owner", () =>
    client.readContract({ address: entitlement, abi: verifierAbi.entitlement, functionName: "ownerOf", args: [tokenId] }),
  );
  if (owner !== undefined) checks.push({ name: "token_owner", status: "pass", detail: `owned by ${owner}` });
  const revoked = await readOrFail(checks, "not_revoked", () =>
    client.readContract({ address: entitlement, abi: verifierAbi.entitlement, functionName: "isRevoked", args: [tokenId] }),
  );
  const locked = await readOrFail(checks, "redemption", () =>
    client.readContract({ address: entitlement, abi: verifierAbi.entitlement, functionName: "locked", args: [tokenId] }),
  );
  if (revoked === undefined || locked === undefined) return finish(checks, "unknown", issuer, anchor?.blockNumber, tokenId, owner);
  add("not_revoked", !revoked, `token ${tokenId} is not revoked`, `token ${tokenId} was REVOKED by the platform (refund or bad key): it is void`);
  checks.push({
    name: "redemption",
    status: "pass",
    detail: locked
      ? `token ${tokenId} is REDEEMED: its code was revealed and the token is locked (ERC-5192), never resellable`
      : `token ${tokenId} is sealed: its code has not been revealed on record`,
  });
  const state: EntitlementState = revoked ? "revoked" : locked ? "redeemed" : "sealed";
  return finish(checks, state, issuer, anchor?.blockNumber, tokenId, owner);

  function finish(
    all: VerificationCheck[],
    entitlementState: EntitlementState,
    anchorIssuer?: Hex,
    anchorBlock?: bigint,
    token?: bigint,
    tokenOwner?: string,
  ): OnChainVerdict {
    return {
      genuine: all.every((check) => check.status !== "fail"),
      checks: all,
      certificate,
      state: entitlementState,
      ...(token !== undefined ? { tokenId: token.toString() } : {}),
      ...(tokenOwner !== undefined ? { owner: tokenOwner } : {}),
      ...(anchorIssuer !== undefined ? { issuer: anchorIssuer } : {}),
      ...(anchorBlock !== undefined ? { anchorBlock: anchorBlock.toString() } : {}),
    };
  }
}

type AnchorEvent = { shopId: bigint; root: Hex; keyCount: number; issuer: Hex; blockNumber: bigint; transactionHash: Hex };

/**
 * Whether the anchoring address held ISSUER_ROLE at the anchor block. The registry only lets a
 * role holder anchor, so this restates what the event already proves; it is shown because it
 * names who vouched for the batch. RPC nodes without history (non-archive) refuse reads at old
 * blocks: then the role is read at the latest block, and a role revoked since (an issuer key
 * rotated) is reported as unchecked rather than failed.
 */
async function checkIssuerRole(client: PublicClient, registry: Hex, anchor: AnchorEvent): Promise<VerificationCheck> {
  const name = "issuer_authorised";
  try {
    const role = await client.readContract({ address: registry, abi: verifierAbi.registry, functionName: "ISSUER_ROLE" });
    const read = (blockNumber?: bigint) =>
      client.readContract({ address: registry, abi: verifierAbi.registry, functionName: "hasRole", args: [role, anchor.issuer], blockNumber });
    const atAnchor = await optional(() => read(anchor.blockNumber));
    if (atAnchor !== undefined) {
      return atAnchor
        ? { name, status: "pass", detail: `${anchor.issuer} held ISSUER_ROLE when it anchored` }
        : { name, status: "fail", detail: `${anchor.issuer} did not hold ISSUER_ROLE at block ${anchor.blockNumber}` };
    }
    return (await read())
      ? { name, status: "pass", detail: `${anchor.issuer} holds ISSUER_ROLE (checked at the latest block: the RPC keeps no history)` }
      : { name, status: "skip", detail: `the RPC keeps no history for block ${anchor.blockNumber} and ${anchor.issuer} holds ISSUER_ROLE no longer` };
  } catch (error) {
    if (isTransportError(error)) throw error;
    return { name, status: "fail", detail: `the contract call failed: ${error instanceof BaseError ? error.shortMessage : "the call failed"}` };
  }
}

/** The BatchAnchored event: from the certificate's anchor transaction, else searched by batch id. */
async function findAnchorEvent(client: PublicClient, certificate: Certificate): Promise<AnchorEvent | undefined> {
  const registry = certificate.chain.registry.toLowerCase();
  const batchId = BigInt(certificate.batch.id);
  let logs: { address: Hex; data: Hex; topics: [Hex, ...Hex[]] | []; blockNumber: bigint | null; transactionHash: Hex | null }[];
  if (certificate.batch.anchor) {
    const receipt = await optional(() => client.getTransactionReceipt({ hash: certificate.batch.anchor!.transaction as Hex }));
    logs = receipt?.logs ?? [];
  } else {
    logs = await client.getLogs({
      address: certificate.chain.registry as Hex,
      event: verifierAbi.registry[3],
      args: { batchId },
      fromBlock: 0n,
      toBlock: "latest",
    });
  }
  for (const log of logs) {
    if (log.address.toLowerCase() !== registry) continue;
    const decoded = safely(() => decodeEventLog({ abi: verifierAbi.registry, data: log.data, topics: log.topics }));
    if (decoded?.eventName !== "BatchAnchored" || decoded.args.batchId !== batchId) continue;
    return {
      shopId: decoded.args.shopId,
      root: decoded.args.root,
      keyCount: decoded.args.keyCount,
      issuer: decoded.args.issuer,
      blockNumber: log.blockNumber!,
      transactionHash: log.transactionHash!,
    };
  }
  return undefined;
}

/** The leaf index the issuance transaction gave `tokenId`, if it issued that token of this batch. */
async function findIssuedLeaf(client: PublicClient, certificate: Certificate, tokenId: bigint): Promise<number | undefined> {
  const issuance = certificate.issuance!;
  const receipt = await optional(() => client.getTransactionReceipt({ hash: issuance.transaction as Hex }));
  if (!receipt || receipt.blockNumber.toString() !== issuance.block) return undefined;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== certificate.chain.entitlement.toLowerCase()) continue;
    const decoded = safely(() => decodeEventLog({ abi: verifierAbi.entitlement, data: log.data, topics: log.topics }));
    if (decoded?.eventName !== "EntitlementsIssued") continue;
    const { batchId, firstTokenId, count, leafIndexes } = decoded.args;
    if (batchId !== BigInt(certificate.batch.id) || tokenId < firstTokenId || tokenId >= firstTokenId + count) continue;
    return unpackLeafIndexes(leafIndexes)[Number(tokenId - firstTokenId)];
  }
  return undefined;
}

/** Runs a contract read; a revert or a missing contract becomes a failed check, while an
 * unreachable RPC is rethrown: "could not ask" must never read as "not genuine". */
async function readOrFail<T>(checks: VerificationCheck[], name: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isTransportError(error)) throw error;
    const reason = error instanceof BaseError ? error.shortMessage : "the call failed";
    checks.push({ name, status: "fail", detail: `the contract call failed: ${reason}` });
    return undefined;
  }
}

async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isTransportError(error)) throw error;
    return undefined;
  }
}

function isTransportError(error: unknown): boolean {
  return error instanceof BaseError && Boolean(error.walk((cause) => cause instanceof HttpRequestError || cause instanceof TimeoutError));
}

// Stryker restore all
function safely<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}
