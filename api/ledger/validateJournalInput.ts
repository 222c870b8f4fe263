// The TypeScript check of a journal transaction, the first of the ledger's three (then the
// posting function in SQL, then the deferred balance and append-only triggers): it rejects
// malformed input before anything is written, with a message saying what to fix. Pure, so it
// is tested on its own (test/ledger/validateJournalInput.test.ts) and not only through the
// database, which refuses the same inputs and would hide a weakened check here.
import { AppError } from "../../core/errors.ts";
import { journalLimits } from "./limits.ts";
import { accountPurposes, ownerTypes, referenceTypes, type AccountRef, type JournalInput } from "./types.ts";

const currencyPattern = /^[A-Z]{3,8}$/;
const kindPattern = /^[a-z][a-z_]{1,40}$/;

function invalid(message: string): AppError {
  return new AppError("validation_failed", message);
}

function checkAccountRef(ref: AccountRef, where: string): void {
  if (typeof ref === "bigint") {
    if (ref <= 0n) throw invalid(`${where}: account id must be positive.`);
    return;
  }
  if (!ownerTypes.includes(ref.ownerType)) throw invalid(`${where}: unknown owner type ${String(ref.ownerType)}.`);
  if (!accountPurposes.includes(ref.purpose)) throw invalid(`${where}: unknown purpose ${String(ref.purpose)}.`);
  if (typeof ref.ownerId !== "bigint" || ref.ownerId < 0n) throw invalid(`${where}: owner id must be a non-negative bigint.`);
  if ((ref.ownerType === "platform") !== (ref.ownerId === 0n)) throw invalid(`${where}: the platform (and only it) has owner id 0.`);
}

function checkAmount(amount: bigint, where: string): void {
  if (typeof amount !== "bigint") throw invalid(`${where}: amounts are bigint minor units.`);
  if (amount === 0n) throw invalid(`${where}: an amount of zero posts nothing.`);
  if (amount > journalLimits.amountMinorMax || -amount > journalLimits.amountMinorMax) {
    throw invalid(`${where}: amount beyond ${journalLimits.amountMinorMax} minor units.`);
  }
}

function refKey(ref: AccountRef, currency: string): string {
  return typeof ref === "bigint" ? `id:${ref}` : `${ref.ownerType}:${ref.ownerId}:${ref.purpose}:${currency}`;
}

/** Rejects malformed input before anything is written: AppError validation_failed. */
export function validateJournalInput(input: JournalInput): void {
  const key = input.idempotencyKey;
  if (typeof key !== "string" || key.length === 0 || key.length > journalLimits.idempotencyKeyLengthMax) {
    throw invalid(`The idempotency key must be 1 to ${journalLimits.idempotencyKeyLengthMax} characters.`);
  }
  if (!kindPattern.test(input.kind)) throw invalid(`Kind ${JSON.stringify(input.kind)} must match ${kindPattern}.`);
  if (!referenceTypes.includes(input.reference.type)) throw invalid(`Unknown reference type ${String(input.reference.type)}.`);
  if (!input.reference.id || input.reference.id.length > journalLimits.referenceIdLengthMax) {
    throw invalid(`The reference id must be 1 to ${journalLimits.referenceIdLengthMax} characters.`);
  }
  const postings = input.postings;
  if (!Array.isArray(postings) || postings.length < 2 || postings.length > journalLimits.postingsMax) {
    throw invalid(`A journal transaction has 2 to ${journalLimits.postingsMax} postings.`);
  }
  const sums = new Map<string, bigint>();
  const seen = new Set<string>();
  postings.forEach((posting, index) => {
    const where = `posting ${index}`;
    checkAccountRef(posting.account, where);
    checkAmount(posting.amountMinor, where);
    if (!currencyPattern.test(posting.currency)) throw invalid(`${where}: currency must be 3 to 8 capital letters.`);
    const identity = refKey(posting.account, posting.currency);
    if (seen.has(identity)) throw invalid(`${where}: the same account is posted twice; merge the amounts.`);
    seen.add(identity);
    sums.set(posting.currency, (sums.get(posting.currency) ?? 0n) + posting.amountMinor);
  });
  for (const [currency, sum] of sums) {
    if (sum !== 0n) throw invalid(`Postings in ${currency} sum to ${sum}, not zero: a journal transaction must balance.`);
  }
  const metadata = Object.entries(input.metadata ?? {});
  if (metadata.length > journalLimits.metadataKeysMax) throw invalid(`At most ${journalLimits.metadataKeysMax} metadata keys.`);
  for (const [name, value] of metadata) {
    if (typeof value === "string" && value.length > journalLimits.metadataValueLengthMax) {
      throw invalid(`Metadata ${name} is longer than ${journalLimits.metadataValueLengthMax} characters.`);
    }
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw invalid(`Metadata ${name} must be a safe integer.`);
  }
  const hold = input.hold;
  if (hold) {
    checkAccountRef(hold.holdingAccount, "hold");
    checkAccountRef(hold.postAccount, "hold");
    checkAccountRef(hold.voidAccount, "hold");
    if (hold.amountMinor <= 0n) throw invalid("hold: the amount is positive.");
    checkAmount(hold.amountMinor, "hold");
    const credited = postings.find(
      (posting) => refKey(posting.account, posting.currency) === refKey(hold.holdingAccount, hold.currency) && posting.amountMinor === hold.amountMinor,
    );
    if (!credited) throw invalid("hold: the entry must credit the holding account with the hold's amount.");
  }
}
