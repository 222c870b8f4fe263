// Verifies a certificate (docs/certificate.md) in the browser, against the chain's RPC alone:
// no Keyledger server is asked, so the verdict does not depend on trusting it. Loaded lazily
// (viem and @openzeppelin/merkle-tree are not part of the first screen). It follows the
// reference verifier (api/keys/verifyCertificate.ts) check by check and uses the same leaf
// encoding (api/keys/leaf.ts, a public interface), but only browser APIs.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { BaseError, createPublicClient, decodeEventLog, hexToBytes, http, parseAbi, type Hex, type PublicClient } from "viem";
import { commitmentOf, leafEncoding, leafHash } from "../../../api/keys/leaf.ts";
import type { Certificate, VerifyCheck } from "../api/types.ts";

export type BrowserVerdict = {
  genuine: boolean;
  checks: VerifyCheck[];
  state: "sealed" | "redeemed" | "revoked" | "not_issued" | "unknown";
  tokenId?: string;
  owner?: string;
  issuer?: string;
  anchor?: { transaction: string; block: string };
};

/** Thrown when the RPC cannot be reached: "could not ask" must never read as "not genuine". */
export class RpcUnreachableError extends Error {
  constructor(rpcUrl: string, cause: unknown) {
    super(`The chain's RPC at ${rpcUrl} could not be reached from this browser.`, { cause });
    this.name = "RpcUnreachableError";
  }
}

/** Bounds every RPC call: a stalled endpoint fails the browser check instead of hanging the page. */
export const rpcTimeoutMs = 8000;

const abi = {
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

const hex32 = /^0x[0-9a-fA-F]{64}$/;
const address = /^0x[0-9a-fA-F]{40}$/;

/** The certificate's own consistency: no network. */
export function checkOffline(certificate: Certificate, key: string | undefined): VerifyCheck[] {
  const checks: VerifyCheck[] = [];
  const wellFormed =
    certificate.version === "keyledger-certificate/1" &&
    address.test(certificate.chain?.registry ?? "") &&
    address.test(certificate.chain?.entitlement ?? "") &&
    hex32.test(certificate.batch?.root ?? "") &&
    Array.isArray(certificate.leaf?.values) &&
    certificate.leaf.values.length === 6 &&
    Array.isArray(certificate.proof) &&
    certificate.proof.length <= 32 &&
    certificate.proof.every((node) => hex32.test(node)) &&
    hex32.test(certificate.commitment?.salt ?? "");
  if (!wellFormed) {
    checks.push({ name: "schema", status: "fail", detail: "not a keyledger-certificate/1 document" });
    return checks;
  }
  checks.push({ name: "schema", status: "pass", detail: certificate.version });
  const [chainId, registry, shopId, batchId, leafIndex, commitment] = certificate.leaf.values as [string, string, string, string, string, string];
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
  const computed = leafHash({ chainId: BigInt(chainId), registry: registry as Hex, shopId: BigInt(shopId), batchId: BigInt(batchId), leafIndex: Number(leafIndex), commitment: commitment as Hex });
  checks.push(
    computed === certificate.leaf.hash.toLowerCase()
      ? { name: "leaf_hash", status: "pass", detail: computed }
      : { name: "leaf_hash", status: "fail", detail: `the values hash to ${computed}, not ${certificate.leaf.hash}` },
  );
  let proven = false;
  try {
    proven = StandardMerkleTree.verify(certificate.batch.root, [...leafEncoding], certificate.leaf.values, certificate.proof);
  } catch {
    proven = false;
  }
  checks.push(
    proven
      ? { name: "merkle_proof", status: "pass", detail: `the leaf is in root ${certificate.batch.root}` }
      : { name: "merkle_proof", status: "fail", detail: `the proof does not lead from the leaf to root ${certificate.batch.root}` },
  );
  if (key === undefined || key.trim() === "") {
    checks.push({ name: "key_commitment", status: "skip", detail: "no key given: the certificate is checked, not the key" });
  } else {
    const matches = commitmentOf(certificate.commitment.salt as Hex, key.trim()) === certificate.commitment.value.toLowerCase();
    checks.push(
      matches
        ? { name: "key_commitment", status: "pass", detail: "keccak256(salt || key) equals the commitment" }
        : { name: "key_commitment", status: "fail", detail: "this key does not match the certificate's commitment" },
    );
  }
  return checks;
}

export async function verifyInBrowser(rpcUrl: string, certificate: Certificate, key: string | undefined): Promise<BrowserVerdict> {
  const checks = checkOffline(certificate, key);
  if (checks[0]?.status === "fail") return { genuine: false, checks, state: "unknown" };
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: rpcTimeoutMs, retryCount: 1 }) }) as PublicClient;
  const add = (name: string, ok: boolean, pass: string, fail: string) => checks.push({ name, status: ok ? "pass" : "fail", detail: ok ? pass : fail });
  const finish = (state: BrowserVerdict["state"], extra: Partial<BrowserVerdict> = {}): BrowserVerdict => ({ genuine: checks.every((check) => check.status !== "fail"), checks, state, ...extra });

  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (error) {
    throw new RpcUnreachableError(rpcUrl, error);
  }
  add("chain_id", String(chainId) === certificate.chain.chainId, `chain ${chainId}`, `the RPC serves chain ${chainId}, the certificate names ${certificate.chain.chainId}`);
  if (String(chainId) !== certificate.chain.chainId) return finish("unknown");

  const registry = certificate.chain.registry as Hex;
  const entitlement = certificate.chain.entitlement as Hex;
  const batchId = BigInt(certificate.batch.id);
  const leafIndex = certificate.leaf.index;

  const root = await read(checks, "root_anchored", () => client.readContract({ address: registry, abi: abi.registry, functionName: "rootOf", args: [batchId] }));
  if (root !== undefined) {
    add("root_anchored", root.toLowerCase() === certificate.batch.root.toLowerCase(), `the registry holds root ${root} for batch ${batchId}`, `the registry holds ${BigInt(root) === 0n ? "no root" : `root ${root}`} for batch ${batchId}`);
  }

  const anchor = await findAnchor(client, certificate);
  if (!anchor) {
    checks.push({ name: "anchor_event", status: "fail", detail: `no BatchAnchored event for batch ${batchId} from registry ${registry}` });
  } else {
    const problems = [
      anchor.shopId.toString() !== certificate.shop.id && "shop",
      anchor.root.toLowerCase() !== certificate.batch.root.toLowerCase() && "root",
      anchor.keyCount !== certificate.batch.keyCount && "key count",
      certificate.shop.issuer !== null && certificate.shop.issuer.toLowerCase() !== anchor.issuer.toLowerCase() && "issuer",
      certificate.batch.anchor !== null && certificate.batch.anchor.block !== anchor.blockNumber.toString() && "block",
    ].filter(Boolean);
    add("anchor_event", problems.length === 0, `anchored by ${anchor.issuer} in block ${anchor.blockNumber} (transaction ${anchor.transactionHash})`, `the BatchAnchored event differs from the certificate in: ${problems.join(", ")}`);
    const authorised = await read(checks, "issuer_authorised", async () => {
      const role = await client.readContract({ address: registry, abi: abi.registry, functionName: "ISSUER_ROLE" });
      return client.readContract({ address: registry, abi: abi.registry, functionName: "hasRole", args: [role, anchor.issuer], blockNumber: anchor.blockNumber });
    });
    if (authorised !== undefined) add("issuer_authorised", authorised, `${anchor.issuer} held ISSUER_ROLE when it anchored`, `${anchor.issuer} did not hold ISSUER_ROLE at block ${anchor.blockNumber}`);
  }
  const anchorFacts = anchor ? { issuer: anchor.issuer, anchor: { transaction: anchor.transactionHash, block: anchor.blockNumber.toString() } } : {};

  const bound = await read(checks, "entitlement_registry", () => client.readContract({ address: entitlement, abi: abi.entitlement, functionName: "registry" }));
  if (bound !== undefined) add("entitlement_registry", bound.toLowerCase() === registry.toLowerCase(), `entitlement contract ${entitlement} issues against registry ${registry}`, `entitlement contract ${entitlement} issues against ${bound}, not ${registry}`);

  const issued = await read(checks, "leaf_issued", () => client.readContract({ address: entitlement, abi: abi.entitlement, functionName: "isIssued", args: [batchId, leafIndex] }));
  if (issued === undefined) return finish("unknown", anchorFacts);
  if (!certificate.issuance) {
    checks.push({ name: "leaf_issued", status: "skip", detail: issued ? "the leaf is issued on-chain, after this certificate was made: download a fresh one for its token" : "not issued on-chain yet: issuance is batched and follows the sale" });
    return finish("not_issued", anchorFacts);
  }
  add("leaf_issued", issued, `leaf ${leafIndex} of batch ${batchId} is issued`, `leaf ${leafIndex} of batch ${batchId} is not issued on-chain`);
  const tokenId = BigInt(certificate.issuance.tokenId);
  const mapped = await findIssuedLeaf(client, certificate, tokenId);
  add("token_leaf", mapped === leafIndex, `token ${tokenId} was issued for leaf ${leafIndex} in block ${certificate.issuance.block}`, mapped === undefined ? `no EntitlementsIssued event for token ${tokenId} in transaction ${certificate.issuance.transaction}` : `token ${tokenId} was issued for leaf ${mapped}, not ${leafIndex}`);
  const tokenBatch = await read(checks, "token_batch", () => client.readContract({ address: entitlement, abi: abi.entitlement, functionName: "batchOf", args: [tokenId] }));
  if (tokenBatch !== undefined) add("token_batch", tokenBatch === batchId, `token ${tokenId} belongs to batch ${batchId}`, `token ${tokenId} belongs to batch ${tokenBatch}`);
  const owner = await read(checks, "token_owner", () => client.readContract({ address: entitlement, abi: abi.entitlement, functionName: "ownerOf", args: [tokenId] }));
  if (owner !== undefined) checks.push({ name: "token_owner", status: "pass", detail: `owned by ${owner}` });
  const revoked = await read(checks, "not_revoked", () => client.readContract({ address: entitlement, abi: abi.entitlement, functionName: "isRevoked", args: [tokenId] }));
  const locked = await read(checks, "redemption", () => client.readContract({ address: entitlement, abi: abi.entitlement, functionName: "locked", args: [tokenId] }));
  const tokenFacts = { ...anchorFacts, tokenId: tokenId.toString(), ...(owner ? { owner } : {}) };
  if (revoked === undefined || locked === undefined) return finish("unknown", tokenFacts);
  add("not_revoked", !revoked, `token ${tokenId} is not revoked`, `token ${tokenId} was REVOKED by the platform (refund or bad key): it is void`);
  checks.push({ name: "redemption", status: "pass", detail: locked ? `token ${tokenId} is REDEEMED: its code was revealed and the token is locked (ERC-5192)` : `token ${tokenId} is sealed: its code has not been revealed on record` });
  return finish(revoked ? "revoked" : locked ? "redeemed" : "sealed", tokenFacts);
}

type AnchorEvent = { shopId: bigint; root: Hex; keyCount: number; issuer: Hex; blockNumber: bigint; transactionHash: Hex };

async function findAnchor(client: PublicClient, certificate: Certificate): Promise<AnchorEvent | undefined> {
  const batchId = BigInt(certificate.batch.id);
  const logs = certificate.batch.anchor
    ? ((await optional(() => client.getTransactionReceipt({ hash: certificate.batch.anchor!.transaction as Hex })))?.logs ?? [])
    : await client.getLogs({ address: certificate.chain.registry as Hex, event: abi.registry[3], args: { batchId }, fromBlock: 0n, toBlock: "latest" });
  for (const log of logs) {
    if (log.address.toLowerCase() !== certificate.chain.registry.toLowerCase()) continue;
    const decoded = safely(() => decodeEventLog({ abi: abi.registry, data: log.data, topics: log.topics }));
    if (!decoded || decoded.eventName !== "BatchAnchored" || decoded.args.batchId !== batchId) continue;
    return { shopId: decoded.args.shopId, root: decoded.args.root, keyCount: decoded.args.keyCount, issuer: decoded.args.issuer, blockNumber: log.blockNumber!, transactionHash: log.transactionHash! };
  }
  return undefined;
}

async function findIssuedLeaf(client: PublicClient, certificate: Certificate, tokenId: bigint): Promise<number | undefined> {
  const issuance = certificate.issuance!;
  const receipt = await optional(() => client.getTransactionReceipt({ hash: issuance.transaction as Hex }));
  if (!receipt || receipt.blockNumber.toString() !== issuance.block) return undefined;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== certificate.chain.entitlement.toLowerCase()) continue;
    const decoded = safely(() => decodeEventLog({ abi: abi.entitlement, data: log.data, topics: log.topics }));
    if (!decoded || decoded.eventName !== "EntitlementsIssued") continue;
    const { batchId, firstTokenId, count, leafIndexes } = decoded.args;
    if (batchId !== BigInt(certificate.batch.id) || tokenId < firstTokenId || tokenId >= firstTokenId + count) continue;
    // leafIndexes packs each leaf index as a big-endian uint32, in token id order.
    const packed = hexToBytes(leafIndexes);
    const offset = Number(tokenId - firstTokenId) * 4;
    if (packed.length < offset + 4) return undefined;
    return new DataView(packed.buffer, packed.byteOffset, packed.byteLength).getUint32(offset, false);
  }
  return undefined;
}

async function read<T>(checks: VerifyCheck[], name: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    checks.push({ name, status: "fail", detail: `the contract call failed: ${error instanceof BaseError ? error.shortMessage : "unknown error"}` });
    return undefined;
  }
}

async function optional<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch {
    return undefined;
  }
}

function safely<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}
