// A conversion between currencies is its own journal transaction through the platform's FX
// account (docs/currencies.md): the shop's account in the first currency is debited and the FX
// account credited there; the FX account is debited in the second currency and the shop's
// account credited there. Each currency's postings sum to zero on their own, and no account
// holds two currencies (an account is owner x purpose x currency). The shop's payable keeps its
// floor, so a shop converts at most what it has; the FX account has none (the platform's
// position in a currency may be short).
import { AppError } from "../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../core/store/database.ts";
import { convertMinor, formatRate, pairRate, type Conversion } from "../../core/money/fx.ts";
import { postJournal } from "./postJournal.ts";
import type { JournalInput } from "./types.ts";

export type FxConversionParameters = {
  /** Names the conversion once: a retry with the same id returns the first one (idempotency key fx:shop<shop>:<id>). */
  conversionId: string;
  shopId: bigint;
  amountMinor: bigint;
  conversion: Conversion;
};

export type FxConversionResult = { transactionId: bigint; created: boolean; fromMinor: bigint; toMinor: bigint; rate: string };

/** The journal entry of a conversion of `amountMinor` of the shop's payable (pure: tested on its own). */
export function fxConversionEntry(parameters: FxConversionParameters): { entry: JournalInput; toMinor: bigint } {
  const { shopId, amountMinor, conversion } = parameters;
  if (conversion.from === conversion.to) throw new AppError("validation_failed", "A conversion needs two different currencies.");
  if (amountMinor <= 0n) throw new AppError("validation_failed", "amountMinor must be positive.");
  const toMinor = convertMinor(amountMinor, conversion);
  if (toMinor <= 0n) {
    throw new AppError(
      "validation_failed",
      `${amountMinor} ${conversion.from} (minor units) is worth less than one minor unit of ${conversion.to}: convert more.`,
    );
  }
  const payable = { ownerType: "shop" as const, ownerId: shopId, purpose: "payable" as const };
  const fx = { ownerType: "platform" as const, ownerId: 0n, purpose: "fx" as const };
  return {
    toMinor,
    entry: {
      idempotencyKey: idempotencyKeyOf(parameters),
      kind: "fx_conversion",
      reference: { type: "adjustment", id: `fx:shop${shopId}:${parameters.conversionId}` },
      postings: [
        { account: payable, amountMinor: -amountMinor, currency: conversion.from },
        { account: fx, amountMinor, currency: conversion.from },
        { account: fx, amountMinor: -toMinor, currency: conversion.to },
        { account: payable, amountMinor: toMinor, currency: conversion.to },
      ],
      metadata: {
        from: conversion.from,
        to: conversion.to,
        rate: formatRate(pairRate(conversion)),
        fromCnyRate: formatRate(conversion.fromCnyRate),
        toCnyRate: formatRate(conversion.toCnyRate),
      },
    },
  };
}

const idempotencyKeyOf = (parameters: { shopId: bigint; conversionId: string }) => `fx:shop${parameters.shopId}:${parameters.conversionId}`;

/**
 * Converts part of a shop's payable into another currency at the given rates. A conversion id
 * used before answers the first conversion (even if the rates moved since); another amount or
 * pair under it is an idempotency conflict.
 */
export async function postFxConversion(db: Drizzle, parameters: FxConversionParameters): Promise<FxConversionResult> {
  const earlier = await earlierConversion(db, parameters);
  if (earlier) return earlier;
  const { entry, toMinor } = fxConversionEntry(parameters);
  const posted = await postJournal(db, entry);
  if (!posted.created) return (await earlierConversion(db, parameters))!;
  return { ...posted, fromMinor: parameters.amountMinor, toMinor, rate: formatRate(pairRate(parameters.conversion)) };
}

async function earlierConversion(db: Drizzle, parameters: FxConversionParameters): Promise<FxConversionResult | undefined> {
  const row = await queryOne<{ id: string; metadata: { from: string; to: string; rate: string }; from_minor: string; to_minor: string }>(
    db,
    sql`SELECT t.id, t.metadata,
               (SELECT -p.amount_minor FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
                WHERE p.tx_id = t.id AND a.owner_type = 'shop' AND p.amount_minor < 0) AS from_minor,
               (SELECT p.amount_minor FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
                WHERE p.tx_id = t.id AND a.owner_type = 'shop' AND p.amount_minor > 0) AS to_minor
        FROM ledger_transactions t WHERE t.idempotency_key = ${idempotencyKeyOf(parameters)}`,
  );
  if (!row) return undefined;
  const { conversion, amountMinor } = parameters;
  if (row.metadata.from !== conversion.from || row.metadata.to !== conversion.to || BigInt(row.from_minor) !== amountMinor) {
    throw new AppError(
      "idempotency_conflict",
      "This conversion id was used for another amount or pair of currencies. Repeat that request exactly, or use a new id.",
    );
  }
  return { transactionId: BigInt(row.id), created: false, fromMinor: BigInt(row.from_minor), toMinor: BigInt(row.to_minor), rate: row.metadata.rate };
}
