// The offline evaluation's recommenders on a log small enough to work out by hand.
import { expect } from "chai";
import { itemItemRecommender, popularityRecommender } from "../../scripts/eval/recs/recommenders.ts";
import { generatePurchaseLog, purchaseLogDefaults } from "../../scripts/eval/recs/purchaseLog.ts";

// Items A=0, B=1, C=2, D=3. Buyers: A B; A B; A C; D; A.
const train = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
  [2, 0],
  [2, 2],
  [3, 3],
  [4, 0],
].map(([user, item], time) => ({ user: user!, item: item!, time }));

describe("offline recommenders", () => {
  it("item-item ranks by summed cosine similarity, then fills with popularity", () => {
    // A has 4 buyers, B 2, C 1. cos(A,B) = 2/√(4·2) ≈ 0.707 > cos(A,C) = 1/√(4·1) = 0.5; D was
    // never bought with A, so it comes from popularity (1 buyer, the lowest id among the rest).
    expect(itemItemRecommender(train)(4, new Set([0]), 3)).to.deep.equal([1, 2, 3]);
    // Buyer 2 owns A and C: B scores cos(A,B) + cos(C,B) = 0.707 + 0 and is the only one.
    expect(itemItemRecommender(train)(2, new Set([0, 2]), 1)).to.deep.equal([1]);
  });

  it("popularity recommends the most bought items the user does not own", () => {
    expect(popularityRecommender(train)(4, new Set([0]), 2)).to.deep.equal([1, 2]);
  });

  it("generates the same log from the same seed, with every buyer buying an item at most once", () => {
    const small = { ...purchaseLogDefaults, users: 200 };
    const first = generatePurchaseLog(small);
    expect(generatePurchaseLog(small)).to.deep.equal(first);
    const pairs = new Set(first.map((purchase) => `${purchase.user}:${purchase.item}`));
    expect(pairs.size).to.equal(first.length);
  });
});
