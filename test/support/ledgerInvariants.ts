// The check every money suite ends with: the ledger's invariant queries (api/ledger/invariants.ts)
// find nothing at all, in every category.
import { expect } from "chai";
import { checkLedgerInvariants } from "../../api/ledger/invariants.ts";
import type { Drizzle } from "../../core/store/database.ts";

export async function expectLedgerInvariantsHold(db: Drizzle): Promise<void> {
  expect(await checkLedgerInvariants(db)).to.deep.equal({
    unbalancedTransactions: [],
    currenciesNotZero: [],
    balanceMismatches: [],
    negativeFloors: [],
    holdMismatches: [],
  });
}
