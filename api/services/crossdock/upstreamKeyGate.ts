// The gate a key bought from an upstream instance passes before it is delivered downstream
// (docs/docking.md, "Across instances"). Two steps, around the reveal on the upstream:
//
// 1. checkSealedUpstreamKey, on the certificate the upstream hands over while the entitlement is
//    sealed: the certificate names the chain and the contracts pinned when the supplier was added
//    (an upstream cannot switch to a registry of its own making), and against the chain, with
//    core/keys/verifyCertificate (the checks the verify service runs): the root is anchored by an
//    issuer, the leaf is in it, the leaf was issued once (the token id maps to this leaf in the
//    issuance transaction) and the token is neither redeemed nor revoked, so nobody has seen
//    the code on record before this purchase. Not issued yet is "wait" (issuance follows the sale).
// 2. checkRevealedUpstreamKey, on the code and the certificate with the salt the upstream answers
//    after the reseller's reveal: the same leaf, and keccak256(salt || code) equals its
//    commitment. A code altered anywhere between the upstream's database and here fails this.
//
// A key that fails either step is never delivered: the purchase disputes the upstream order.
import type { PublicClient } from "viem";
import type { Certificate } from "../../../core/keys/certificateSchema.ts";
import { verifyCertificateOffline, verifyCertificateOnChain } from "../../../core/keys/verifyCertificate.ts";

export type PinnedUpstream = { chainId: string; registry: string; entitlement: string };

export type GateVerdict =
  | { outcome: "pass"; certificate: Certificate; tokenId: string }
  | { outcome: "wait"; reason: string }
  | { outcome: "refused"; failures: string[] };

/** Step 1: the sealed certificate against the pinned contracts and the chain. */
export async function checkSealedUpstreamKey(client: PublicClient, pinned: PinnedUpstream, input: unknown): Promise<GateVerdict> {
  const offline = verifyCertificateOffline(input);
  if (!offline.certificate) return { outcome: "refused", failures: ["schema"] };
  const pinnedFailures = pinnedMismatches(pinned, offline.certificate);
  if (pinnedFailures.length) return { outcome: "refused", failures: pinnedFailures };
  const verdict = await verifyCertificateOnChain(client, offline.certificate);
  const failures = verdict.checks.filter((check) => check.status === "fail").map((check) => check.name);
  if (failures.length) return { outcome: "refused", failures };
  if (verdict.state === "not_issued") return { outcome: "wait", reason: "the upstream's entitlement is not issued on-chain yet" };
  if (verdict.state !== "sealed" || !verdict.tokenId) return { outcome: "refused", failures: [`entitlement_${verdict.state}`] };
  return { outcome: "pass", certificate: offline.certificate, tokenId: verdict.tokenId };
}

/** Step 2: the revealed code and its salt against the leaf step 1 passed. */
export function checkRevealedUpstreamKey(sealed: Certificate, input: unknown, code: string): GateVerdict {
  const offline = verifyCertificateOffline(input, code);
  if (!offline.certificate) return { outcome: "refused", failures: ["schema"] };
  const failures = offline.checks.filter((check) => check.status === "fail").map((check) => check.name);
  if (offline.certificate.commitment.salt === null) failures.push("salt_withheld");
  if (
    offline.certificate.leaf.hash.toLowerCase() !== sealed.leaf.hash.toLowerCase() ||
    offline.certificate.batch.root.toLowerCase() !== sealed.batch.root.toLowerCase()
  )
    failures.push("same_leaf");
  if (failures.length) return { outcome: "refused", failures };
  return { outcome: "pass", certificate: offline.certificate, tokenId: sealed.issuance?.tokenId ?? "" };
}

function pinnedMismatches(pinned: PinnedUpstream, certificate: Certificate): string[] {
  return [
    certificate.chain.chainId !== pinned.chainId && "pinned_chain",
    certificate.chain.registry.toLowerCase() !== pinned.registry.toLowerCase() && "pinned_registry",
    certificate.chain.entitlement.toLowerCase() !== pinned.entitlement.toLowerCase() && "pinned_entitlement",
  ].filter((failure): failure is string => failure !== false);
}
