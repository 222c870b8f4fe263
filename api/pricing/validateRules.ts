// Checks of the merchant's pricing rules before anything is written: a table that would make a
// price ambiguous (overlapping tiers) or a discount that is not one (negative, over 100%) is a
// validation_failed naming the row to fix.
import { AppError } from "../../core/errors.ts";
import type { MemberLevel, PriceTier } from "./price.ts";

const tiersMax = 20;
const levelsMax = 20;

function refuse(path: string, message: string): never {
  throw new AppError("validation_failed", message, { details: [{ path, message }] });
}

/** Tiers in ascending order of quantity, each range non-empty, none overlapping. */
export function validateTiers(tiers: readonly PriceTier[]): void {
  if (tiers.length > tiersMax) refuse("tiers", `At most ${tiersMax} tiers per product.`);
  tiers.forEach((tier, index) => {
    if (!Number.isInteger(tier.quantityMin) || tier.quantityMin < 1)
      refuse(`tiers.${index}.quantityMin`, `Tier ${index + 1}: quantityMin must be a whole number of at least 1.`);
    if (tier.quantityMax !== null && tier.quantityMax < tier.quantityMin) {
      refuse(
        `tiers.${index}.quantityMax`,
        `Tier ${index + 1}: quantityMax (${tier.quantityMax}) is below quantityMin (${tier.quantityMin}); a range must ascend.`,
      );
    }
    if (tier.unitPriceMinor < 0n) refuse(`tiers.${index}.unitPriceMinor`, `Tier ${index + 1}: the unit price cannot be negative.`);
    const previous = tiers[index - 1];
    if (previous) {
      if (previous.quantityMax === null || tier.quantityMin <= previous.quantityMax) {
        refuse(
          `tiers.${index}.quantityMin`,
          `Tier ${index + 1} starts at ${tier.quantityMin}, inside tier ${index} (${previous.quantityMin}-${previous.quantityMax ?? "∞"}). List tiers in ascending order without overlap.`,
        );
      }
    }
  });
}

export function validatePercent(path: string, percent: number, { allowZero }: { allowZero: boolean }): void {
  const low = allowZero ? 0 : 1;
  if (!Number.isInteger(percent) || percent < low || percent > 100) refuse(path, `${path} must be a whole percent between ${low} and 100.`);
}

/** Levels with distinct spend thresholds and discounts between 0 and 100%. */
export function validateLevels(levels: readonly MemberLevel[]): void {
  if (levels.length > levelsMax) refuse("levels", `At most ${levelsMax} levels per shop.`);
  const seen = new Set<bigint>();
  levels.forEach((level, index) => {
    if (level.spendMinMinor < 0n) refuse(`levels.${index}.spendMinMinor`, `Level ${index + 1}: the spend threshold cannot be negative.`);
    if (seen.has(level.spendMinMinor)) refuse(`levels.${index}.spendMinMinor`, `Level ${index + 1}: another level already starts at ${level.spendMinMinor}.`);
    seen.add(level.spendMinMinor);
    validatePercent(`levels.${index}.discountPercent`, level.discountPercent, { allowZero: true });
  });
}
