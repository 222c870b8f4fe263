// The pure rules of subscriptions (api/services/subscriptions/subscriptionRules.ts) against
// figures worked out by hand from docs/subscriptions.md.
import { expect } from "chai";
import { dueReminders, periodSeconds, renewalRefusal, sweepAction, upgradeProrationMinor } from "../../api/services/subscriptions/subscriptionRules.ts";

const day = 86_400;

describe("subscription rules", () => {
  it("fixes the period lengths in seconds", () => {
    expect(periodSeconds).to.deep.equal({ week: 604_800, month: 2_592_000, quarter: 7_776_000, year: 31_536_000 });
  });

  it("renews a day before the end, expires at end + grace, leaves cancelled ones to run out", () => {
    const active = { state: "active" as const, autoRenew: true, paidUntil: 100 * day, graceSeconds: 3 * day };
    expect(sweepAction(active, 99 * day - 1)).to.equal("none");
    expect(sweepAction(active, 99 * day)).to.equal("renew");
    expect(sweepAction({ ...active, autoRenew: false }, 99 * day)).to.equal("none");
    expect(sweepAction({ ...active, state: "past_due" }, 102 * day)).to.equal("renew");
    expect(sweepAction({ ...active, state: "past_due" }, 103 * day - 1)).to.equal("renew");
    expect(sweepAction({ ...active, state: "past_due" }, 103 * day)).to.equal("expire");
    expect(sweepAction({ ...active, state: "cancelled", autoRenew: false }, 99 * day)).to.equal("none");
    expect(sweepAction({ ...active, state: "cancelled", autoRenew: false }, 103 * day)).to.equal("expire");
    expect(sweepAction({ ...active, state: "expired" }, 200 * day)).to.equal("none");
  });

  it("refuses renewals of cancelled subscriptions and of those past their grace", () => {
    const base = { state: "active" as const, autoRenew: true, paidUntil: 100 * day, graceSeconds: 3 * day };
    expect(renewalRefusal(base, 50 * day)).to.equal(undefined);
    expect(renewalRefusal({ ...base, state: "past_due" }, 103 * day - 1)).to.equal(undefined);
    expect(renewalRefusal({ ...base, state: "past_due" }, 103 * day)).to.equal("expired");
    expect(renewalRefusal({ ...base, state: "cancelled" }, 50 * day)).to.equal("cancelled");
    expect(renewalRefusal({ ...base, state: "expired" }, 50 * day)).to.equal("expired");
  });

  it("names the reminders due: 7 days, then 1 day before the end, none after it", () => {
    const end = 100 * day;
    expect(dueReminders(end, end - 7 * day - 1)).to.deep.equal([]);
    expect(dueReminders(end, end - 7 * day)).to.deep.equal(["days_7"]);
    expect(dueReminders(end, end - day)).to.deep.equal(["days_7", "days_1"]);
    expect(dueReminders(end, end)).to.deep.equal([]);
  });

  it("prorates an upgrade in whole minor units, rounded down, clamped to the period", () => {
    const month = periodSeconds.month;
    // 12 of 30 days left, 3000 -> 4500: 1500 x 12 / 30 = 600 exactly.
    expect(upgradeProrationMinor({ oldPriceMinor: 3000n, newPriceMinor: 4500n, periodSeconds: month, remainingSeconds: 12 * day })).to.equal(600n);
    // 1 second left of 2,592,000, difference 1000: 1000 / 2,592,000 rounds down to 0.
    expect(upgradeProrationMinor({ oldPriceMinor: 1000n, newPriceMinor: 2000n, periodSeconds: month, remainingSeconds: 1 })).to.equal(0n);
    // 10 days left, 999 more: 999 x 864000 / 2592000 = 333 exactly; 7 days: 999 x 604800 / 2592000 = 233.1 -> 233.
    expect(upgradeProrationMinor({ oldPriceMinor: 1n, newPriceMinor: 1000n, periodSeconds: month, remainingSeconds: 10 * day })).to.equal(333n);
    expect(upgradeProrationMinor({ oldPriceMinor: 1n, newPriceMinor: 1000n, periodSeconds: month, remainingSeconds: 7 * day })).to.equal(233n);
    // A cheaper plan costs nothing now; time beyond the period or before it is clamped.
    expect(upgradeProrationMinor({ oldPriceMinor: 3000n, newPriceMinor: 2000n, periodSeconds: month, remainingSeconds: 10 * day })).to.equal(0n);
    expect(upgradeProrationMinor({ oldPriceMinor: 0n, newPriceMinor: 3000n, periodSeconds: month, remainingSeconds: 2 * month })).to.equal(3000n);
    expect(upgradeProrationMinor({ oldPriceMinor: 0n, newPriceMinor: 3000n, periodSeconds: month, remainingSeconds: -5 })).to.equal(0n);
  });
});
