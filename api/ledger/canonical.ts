// Canonical encodings, hashed in two places that must never disagree: the payload hash that
// makes an idempotency key mean one request, and the content hash of a stored journal entry
// that the tamper-evident chain is built from (the hasher writes it, `keyledger audit ledger`
// recomputes it from the rows or an export). Keys are emitted in a fixed order; amounts and
// ids are decimal strings so no number loses precision.
import { createHash } from "node:crypto";
import type { AccountRef, JournalInput } from "./types.ts";

export function sha256(data: string | Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

function accountRefText(ref: AccountRef): string {
  return typeof ref === "bigint" ? `id:${ref}` : `${ref.ownerType}:${ref.ownerId}:${ref.purpose}`;
}

// An object's keys are distinct, so the comparator never meets a tie.
function sortedObject(value: Record<string, unknown> | undefined): [string, unknown][] {
  return Object.entries(value ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** SHA-256 over the request's content: a retry must carry exactly this payload. */
export function payloadHash(input: JournalInput): Buffer {
  const postings = input.postings
    .map((posting) => [accountRefText(posting.account), posting.currency, posting.amountMinor.toString()])
    .sort((a, b) => (a.join("|") < b.join("|") ? -1 : 1));
  const hold = input.hold
    ? [
        accountRefText(input.hold.holdingAccount),
        accountRefText(input.hold.postAccount),
        accountRefText(input.hold.voidAccount),
        input.hold.amountMinor.toString(),
        input.hold.currency,
        input.hold.expiresAt?.toISOString() ?? null,
        input.hold.expiryAction ?? "void",
      ]
    : null;
  return sha256(JSON.stringify(["payload-v1", input.kind, input.reference.type, input.reference.id, postings, sortedObject(input.metadata), hold]));
}

/** A journal entry as stored, the input of the chain: what an export carries per entry. */
export type StoredEntry = {
  id: string;
  idempotencyKey: string;
  payloadHash: string;
  kind: string;
  referenceType: string;
  referenceId: string;
  metadata: Record<string, unknown>;
  /** created_at in microseconds since the epoch, as PostgreSQL stores it. */
  createdAtMicros: string;
  postings: { accountId: string; amountMinor: string; currency: string }[];
};

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  return `{${sortedObject(value as Record<string, unknown>)
    .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
    .join(",")}}`;
}

/** SHA-256 of the entry's canonical content (postings in account id order). */
export function entryContentHash(entry: StoredEntry): Buffer {
  const postings = [...entry.postings]
    .sort((a, b) => (BigInt(a.accountId) < BigInt(b.accountId) ? -1 : 1))
    .map((posting) => [posting.accountId, posting.currency, posting.amountMinor]);
  return sha256(
    JSON.stringify([
      "entry-v1",
      entry.id,
      entry.idempotencyKey,
      entry.payloadHash,
      entry.kind,
      entry.referenceType,
      entry.referenceId,
      canonicalJson(entry.metadata),
      entry.createdAtMicros,
      postings,
    ]),
  );
}

export const genesisChainHash = Buffer.alloc(32);

/** chain_hash(n) = SHA-256(chain_hash(n-1) || content_hash(n)); the first links to 32 zero bytes. */
export function chainHash(previous: Uint8Array, contentHash: Uint8Array): Buffer {
  return createHash("sha256").update(previous).update(contentHash).digest();
}
