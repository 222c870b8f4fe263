// `keyledger verify --rpc URL --certificate cert.json [--key KEY | --key-file FILE] [--json]`
// Verifies a key's certificate against the chain alone: no database, no API, no configuration
// (core/keys/verifyCertificate.ts does the checks). Prints a readable verdict, or JSON.
//
// Exit codes: 0 genuine; 1 not genuine (a check failed, including a revoked entitlement);
// 2 usage, file or RPC errors (nothing could be concluded); 3 genuine but not sealed while
// --expect-sealed was given (the code was revealed, or the entitlement is not issued yet).
// The key is never printed: not in the verdict, the JSON, or an error.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { BaseError, createPublicClient, http, isAddress, type Hex } from "viem";
import { verifyCertificateOnChain, type OnChainVerdict } from "../../../core/keys/verifyCertificate.ts";

export type CommandIo = { stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown } };

// A verifier talks to public RPC endpoints that may be slow; 20 s per request, 2 retries.
const rpcTimeoutMs = 20_000;
const rpcRetryCount = 2;
// A certificate is a few kB; anything much larger is not one.
const certificateBytesMax = 1024 * 1024;

const usage = `Usage: keyledger verify --rpc URL --certificate cert.json [--key KEY | --key-file FILE] [--json]
                        [--issuer ADDRESS] [--expect-sealed]
  Checks the certificate's Merkle proof, its anchoring in the registry by the shop's issuer, and
  the entitlement token's issuance, owner and redemption state, against the chain alone.
  --key KEY          also check that KEY is the committed key (prefer --key-file: shells keep history)
  --key-file FILE    read the key from FILE (surrounding whitespace ignored)
  --issuer ADDRESS   require the batch to have been anchored by ADDRESS
  --expect-sealed    exit 3 unless the entitlement is issued and its code not yet revealed
  --json             print the verdict as JSON
Exit codes: 0 genuine, 1 not genuine, 2 could not verify (usage, file, RPC), 3 not sealed.
`;

export async function main(argv: string[], io: CommandIo = process): Promise<number> {
  let values: {
    rpc?: string;
    certificate?: string;
    key?: string;
    "key-file"?: string;
    issuer?: string;
    json?: boolean;
    "expect-sealed"?: boolean;
    help?: boolean;
  };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        rpc: { type: "string" },
        certificate: { type: "string" },
        key: { type: "string" },
        "key-file": { type: "string" },
        issuer: { type: "string" },
        json: { type: "boolean" },
        "expect-sealed": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const problems = [
    !values.rpc && "--rpc is required",
    !values.certificate && "--certificate is required",
    values.key !== undefined && values["key-file"] !== undefined && "give --key or --key-file, not both",
    values.issuer !== undefined && !isAddress(values.issuer, { strict: false }) && "--issuer must be a 20-byte hex address",
    values.rpc && !/^https?:\/\//.test(values.rpc) && "--rpc must be an http(s) URL",
  ].filter(Boolean);
  if (problems.length > 0) {
    io.stderr.write(`${problems.join("; ")}\n${usage}`);
    return 2;
  }
  const rpcName = redactUrl(values.rpc!);

  let certificate: unknown;
  let key: string | undefined = values.key;
  try {
    const text = await readFile(values.certificate!, "utf8");
    if (text.length > certificateBytesMax) throw new Error(`larger than ${certificateBytesMax} bytes`);
    certificate = JSON.parse(text);
    if (values["key-file"] !== undefined) key = await readFile(values["key-file"], "utf8");
  } catch (error) {
    // The message names the path and the reason (a JSON syntax error quotes certificate text,
    // never the key file's: its parse is not attempted).
    io.stderr.write(`Could not read the certificate or key file: ${(error as Error).message}\n`);
    return 2;
  }

  const client = createPublicClient({ transport: http(values.rpc!, { timeout: rpcTimeoutMs, retryCount: rpcRetryCount }) });
  let verdict: OnChainVerdict;
  try {
    verdict = await verifyCertificateOnChain(client, certificate, { key, expectedIssuer: values.issuer as Hex | undefined });
  } catch (error) {
    // viem's long messages carry the full URL, which may hold an API key: print its short
    // message with the URL replaced, and name the host only.
    const reason = (error instanceof BaseError ? error.shortMessage : "unexpected error").split(values.rpc!).join(rpcName);
    io.stderr.write(`Could not verify: the RPC at ${rpcName} failed (${reason}). Check --rpc and the network.\n`);
    return 2;
  }
  const notSealed = values["expect-sealed"] === true && verdict.state !== "sealed";
  // A sealed entitlement's certificate carries no salt: the key cannot be checked even if given.
  const keyChecked = verdict.checks.some((check) => check.name === "key_commitment" && check.status === "pass");
  const saltWithheld = verdict.certificate?.commitment.salt === null;
  if (values.json) {
    const { certificate: _omitted, ...report } = verdict;
    io.stdout.write(`${JSON.stringify({ ...report, keyChecked, saltWithheld, rpc: rpcName }, null, 2)}\n`);
  } else {
    io.stdout.write(renderVerdict(verdict, keyChecked, saltWithheld, rpcName));
  }
  if (!verdict.genuine) return 1;
  return notSealed ? 3 : 0;
}

function renderVerdict(verdict: OnChainVerdict, keyChecked: boolean, saltWithheld: boolean, rpcName: string): string {
  const lines: string[] = [];
  const certificate = verdict.certificate;
  lines.push("Keyledger certificate verification");
  if (certificate) {
    lines.push(
      `  chain ${certificate.chain.chainId} via ${rpcName}; registry ${certificate.chain.registry}; entitlement ${certificate.chain.entitlement}`,
      `  shop ${certificate.shop.id}, batch ${certificate.batch.id}, leaf ${certificate.leaf.index} of ${certificate.batch.keyCount}`,
    );
  }
  lines.push("");
  const width = Math.max(...verdict.checks.map((check) => check.name.length));
  for (const check of verdict.checks) {
    const mark = check.status === "pass" ? "ok  " : check.status === "fail" ? "FAIL" : "skip";
    lines.push(`  [${mark}] ${check.name.padEnd(width)}  ${check.detail}`);
  }
  lines.push("");
  const stateText: Record<OnChainVerdict["state"], string> = {
    sealed: `entitlement token ${verdict.tokenId} is SEALED (code not revealed)${verdict.owner ? `, owned by ${verdict.owner}` : ""}`,
    redeemed: `entitlement token ${verdict.tokenId} is REDEEMED (code revealed, token locked)${verdict.owner ? `, owned by ${verdict.owner}` : ""}`,
    revoked: `entitlement token ${verdict.tokenId} is REVOKED`,
    not_issued: "no entitlement token issued for it yet",
    unknown: "entitlement state unknown",
  };
  const subject = keyChecked ? "The key and its certificate are" : "The certificate is";
  const keyNotChecked = keyChecked
    ? ""
    : saltWithheld
      ? " The entitlement is sealed: its certificate carries no salt, so the key itself is checked only after reveal."
      : " No key was given, so the key itself was not checked.";
  lines.push(
    verdict.genuine
      ? `Verdict: GENUINE. ${subject} committed on-chain${verdict.anchorBlock ? ` in block ${verdict.anchorBlock}` : ""}; ${stateText[verdict.state]}.${keyNotChecked}`
      : `Verdict: NOT GENUINE. ${verdict.state === "revoked" ? `${stateText.revoked}. ` : ""}See the failed checks above.`,
  );
  return `${lines.join("\n")}\n`;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(unparseable URL)";
  }
}
