// The ledger's public types. Money is bigint minor units end to end; a posting's amount is
// positive for a credit and negative for a debit, and an account's balance is the sum of its
// postings (docs/ledger.md).

// "distributor": an agent or referrer by account id (docs/distribution.md, migration 0810).
export const ownerTypes = ["platform", "shop", "buyer", "reseller", "distributor"] as const;
export type OwnerType = (typeof ownerTypes)[number];

export const accountPurposes = [
  "clearing_epay",
  "clearing_chain",
  "payments",
  "payable",
  "fees",
  "royalties",
  "proceeds",
  "holds",
  "refunds",
  "payouts",
  "adjustments",
  // The collection models (docs/ledger.md, "Who holds the money", migration 0320).
  "clearing_merchant",
  "collected",
  "fee_receivable",
  "prepaid",
  // A distributor's payout awaiting approval (docs/distribution.md, migration 0810).
  "payout_holds",
  // The platform's currency exchange: a conversion passes through it (docs/currencies.md, migration 1500).
  "fx",
  // A payment from a buyer's platform balance passes through it (docs/docking.md, migration 1170).
  "clearing_balance",
] as const;
export type AccountPurpose = (typeof accountPurposes)[number];

export const referenceTypes = [
  "order",
  "payment",
  "payout",
  "refund",
  "resale",
  "hold",
  "adjustment",
  "topup",
  "settlement",
  "rental",
  "subscription",
] as const;
export type ReferenceType = (typeof referenceTypes)[number];

/** An account by id, or by its identity (opened on first use; the currency is the posting's). */
export type AccountRef = bigint | { ownerType: OwnerType; ownerId: bigint; purpose: AccountPurpose };

export type PostingInput = { account: AccountRef; amountMinor: bigint; currency: string };

export type HoldInput = {
  /** The account this entry credits with `amountMinor` and that holds it until resolution. */
  holdingAccount: AccountRef;
  postAccount: AccountRef;
  voidAccount: AccountRef;
  amountMinor: bigint;
  currency: string;
  expiresAt?: Date;
  /** What expiry does: void (payout requests) or post (resale proceeds after the chargeback window). */
  expiryAction?: "void" | "post";
};

export type JournalInput = {
  idempotencyKey: string;
  kind: string;
  reference: { type: ReferenceType; id: string };
  postings: PostingInput[];
  metadata?: Record<string, string | number | boolean | null>;
  hold?: HoldInput;
};

export type PostJournalReturnType = { transactionId: bigint; created: boolean };

/** One result per entry of a batch, TigerBeetle-style: expected failures are data. */
export type JournalResult =
  | { status: "created" | "exists"; transactionId: bigint }
  | { status: "conflict"; transactionId: bigint; detail?: string }
  | { status: "insufficient_funds" | "invalid"; detail: string };
