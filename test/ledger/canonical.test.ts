// The ledger's hash formats against known answers: payload, content and chain hashes
// recomputed by test/vectors/ledger.py from docs/ledger.md ("Hash formats") with Python's
// hashlib and json. The hasher, the auditor and every export depend on these bytes.
import { expect } from "chai";
import { chainHash, entryContentHash, genesisChainHash, payloadHash, sha256, type StoredEntry } from "../../api/ledger/canonical.ts";
import type { AccountRef, JournalInput } from "../../api/ledger/types.ts";
import { readVectors } from "../vectors/readVectors.ts";

type RefJson = { id: string } | { ownerType: string; ownerId: string; purpose: string };
type InputJson = {
  idempotencyKey: string;
  kind: string;
  reference: { type: string; id: string };
  postings: { account: RefJson; amountMinor: string; currency: string }[];
  metadata?: Record<string, string | number | boolean | null>;
  hold?: {
    holdingAccount: RefJson;
    postAccount: RefJson;
    voidAccount: RefJson;
    amountMinor: string;
    currency: string;
    expiresAt?: string;
    expiryAction?: "void" | "post";
  };
};
type LedgerVectors = {
  payloads: { name: string; input: InputJson; payloadHash: string }[];
  chain: { entry: StoredEntry; contentHash: string; chainHash: string }[];
};

const vectors = readVectors<LedgerVectors>("ledger.json");

function accountRef(ref: RefJson): AccountRef {
  if ("id" in ref) return BigInt(ref.id);
  return { ownerType: ref.ownerType, ownerId: BigInt(ref.ownerId), purpose: ref.purpose } as AccountRef;
}

function journalInput(json: InputJson): JournalInput {
  const hold = json.hold;
  return {
    idempotencyKey: json.idempotencyKey,
    kind: json.kind,
    reference: json.reference as JournalInput["reference"],
    postings: json.postings.map((posting) => ({ account: accountRef(posting.account), amountMinor: BigInt(posting.amountMinor), currency: posting.currency })),
    ...(json.metadata ? { metadata: json.metadata } : {}),
    ...(hold
      ? {
          hold: {
            holdingAccount: accountRef(hold.holdingAccount),
            postAccount: accountRef(hold.postAccount),
            voidAccount: accountRef(hold.voidAccount),
            amountMinor: BigInt(hold.amountMinor),
            currency: hold.currency,
            ...(hold.expiresAt ? { expiresAt: new Date(hold.expiresAt) } : {}),
            ...(hold.expiryAction ? { expiryAction: hold.expiryAction } : {}),
          },
        }
      : {}),
  };
}

describe("ledger: canonical hash formats (known answers from Python)", () => {
  for (const vector of vectors.payloads) {
    it(`payload hash of ${vector.name}`, () => {
      const input = journalInput(vector.input);
      expect(payloadHash(input).toString("hex")).to.equal(vector.payloadHash);
      // The order the caller lists postings and metadata in is not part of the request.
      const reordered: JournalInput = {
        ...input,
        postings: [...input.postings].reverse(),
        ...(input.metadata ? { metadata: Object.fromEntries(Object.entries(input.metadata).reverse()) } : {}),
      };
      expect(payloadHash(reordered).toString("hex")).to.equal(vector.payloadHash);
    });
  }

  it("payload hash: every field of the request changes it", () => {
    const base = journalInput(vectors.payloads.find((vector) => vector.input.hold?.expiresAt)!.input);
    const hold = base.hold!;
    const variants: JournalInput[] = [
      { ...base, kind: "payout_other" },
      { ...base, reference: { ...base.reference, type: "refund" } },
      { ...base, reference: { ...base.reference, id: "10" } },
      { ...base, postings: base.postings.map((posting, index) => (index === 0 ? { ...posting, amountMinor: posting.amountMinor - 1n } : posting)) },
      { ...base, postings: base.postings.map((posting) => ({ ...posting, currency: "USD" })) },
      { ...base, postings: base.postings.map((posting, index) => (index === 0 ? { ...posting, account: 77n } : posting)) },
      { ...base, metadata: { a: "1" } },
      { ...base, hold: undefined },
      { ...base, hold: { ...hold, holdingAccount: 1n } },
      { ...base, hold: { ...hold, postAccount: 1n } },
      { ...base, hold: { ...hold, voidAccount: 1n } },
      { ...base, hold: { ...hold, amountMinor: 301n } },
      { ...base, hold: { ...hold, currency: "USD" } },
      { ...base, hold: { ...hold, expiresAt: new Date("2026-12-31T23:59:58.000Z") } },
      { ...base, hold: { ...hold, expiresAt: undefined } },
      { ...base, hold: { ...hold, expiryAction: "post" } },
    ];
    const seen = new Set([payloadHash(base).toString("hex")]);
    for (const variant of variants) seen.add(payloadHash(variant).toString("hex"));
    expect(seen.size).to.equal(variants.length + 1);
    // "void" is the default expiry action: naming it is the same request.
    expect(payloadHash({ ...base, hold: { ...hold, expiryAction: "void" } })).to.deep.equal(payloadHash(base));
  });

  for (const [index, vector] of vectors.chain.entries()) {
    it(`content and chain hash of stored entry ${vector.entry.id}`, () => {
      expect(entryContentHash(vector.entry).toString("hex")).to.equal(vector.contentHash);
      const shuffled = { ...vector.entry, postings: [...vector.entry.postings].reverse() };
      expect(entryContentHash(shuffled).toString("hex")).to.equal(vector.contentHash);
      const previous = index === 0 ? genesisChainHash : Buffer.from(vectors.chain[index - 1]!.chainHash, "hex");
      expect(chainHash(previous, Buffer.from(vector.contentHash, "hex")).toString("hex")).to.equal(vector.chainHash);
    });
  }

  it("content hash: every stored field changes it", () => {
    const base = vectors.chain[0]!.entry;
    const variants: StoredEntry[] = [
      { ...base, id: "99" },
      { ...base, idempotencyKey: "other" },
      { ...base, payloadHash: "00".repeat(32) },
      { ...base, kind: "refund" },
      { ...base, referenceType: "payment" },
      { ...base, referenceId: "43" },
      { ...base, metadata: { ...base.metadata, tradeNo: "T-2" } },
      { ...base, createdAtMicros: "1796083200123457" },
      { ...base, postings: base.postings.map((posting, index) => (index === 0 ? { ...posting, amountMinor: "951" } : posting)) },
      { ...base, postings: base.postings.map((posting) => ({ ...posting, currency: "USD" })) },
      { ...base, postings: base.postings.map((posting, index) => (index === 0 ? { ...posting, accountId: "11" } : posting)) },
    ];
    const seen = new Set([entryContentHash(base).toString("hex")]);
    for (const variant of variants) seen.add(entryContentHash(variant).toString("hex"));
    expect(seen.size).to.equal(variants.length + 1);
  });

  it("genesis is 32 zero bytes and the chain hashes the previous link first", () => {
    expect(genesisChainHash).to.deep.equal(Buffer.alloc(32));
    const content = Buffer.from(vectors.chain[0]!.contentHash, "hex");
    expect(chainHash(genesisChainHash, content)).to.deep.equal(sha256(Buffer.concat([Buffer.alloc(32), content])));
    expect(chainHash(content, genesisChainHash).toString("hex")).not.to.equal(vectors.chain[0]!.chainHash);
    // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
    expect(sha256("abc").toString("hex")).to.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
