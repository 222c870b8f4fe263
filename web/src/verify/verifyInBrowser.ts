// Verifies a certificate (docs/certificate.md) in the browser, against the chain's RPC alone:
// no Keyledger server is asked, so the verdict does not depend on trusting it. It runs the
// reference verifier itself (core/keys/verifyCertificate.ts, the one `keyledger verify` runs),
// so the browser, the CLI and the server can never disagree about what a check means. Loaded
// lazily: viem, zod and @openzeppelin/merkle-tree are not part of the first screen.
import { createPublicClient, http, type PublicClient } from "viem";
import { verifyCertificateOnChain, type OnChainVerdict } from "../../../core/keys/verifyCertificate.ts";
import type { Certificate } from "../api/types.ts";

export type BrowserVerdict = Pick<OnChainVerdict, "genuine" | "checks" | "state" | "tokenId" | "owner" | "issuer"> & {
  /** The anchor transaction, when the chain confirmed the certificate's anchor. */
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

export async function verifyInBrowser(rpcUrl: string, certificate: Certificate, key: string | undefined): Promise<BrowserVerdict> {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: rpcTimeoutMs, retryCount: 1 }) }) as PublicClient;
  try {
    await client.getChainId();
  } catch (error) {
    throw new RpcUnreachableError(rpcUrl, error);
  }
  const verdict = await verifyCertificateOnChain(client, certificate, { key });
  const anchorConfirmed = verdict.checks.some((check) => check.name === "anchor_event" && check.status === "pass");
  return {
    genuine: verdict.genuine,
    checks: verdict.checks,
    state: verdict.state,
    tokenId: verdict.tokenId,
    owner: verdict.owner,
    issuer: verdict.issuer,
    anchor: anchorConfirmed && certificate.batch.anchor ? certificate.batch.anchor : undefined,
  };
}
