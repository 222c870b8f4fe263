// Limits on what one journal transaction may carry. They are not deployment settings (a
// change would change what the ledger accepts, not how fast it runs), so they live here,
// each with its reason. The batching and hashing knobs are settings in core/config.ts.
export const journalLimits = {
  // The richest flow (a resale: buyer, fee, royalty, proceeds) has four postings; a bound keeps
  // a malformed request from building a huge entry inside a batch.
  postingsMax: 16,
  // The idempotency key is derived from a reference ("order:<id>:payment"); 200 characters
  // leaves room for any id the platform generates (the column has the same CHECK).
  idempotencyKeyLengthMax: 200,
  referenceIdLengthMax: 120,
  // 10^15 minor units (ten trillion yuan in fen) is far beyond any sale, and keeps every sum of
  // a batch far from int8 overflow.
  amountMinorMax: 10n ** 15n,
  metadataKeysMax: 16,
  metadataValueLengthMax: 200,
} as const;
