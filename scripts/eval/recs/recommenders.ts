// The two recommenders compared by `npm run eval:recs`: an item-item collaborative filter and
// the popularity baseline. Both see only the training purchases.
import type { Purchase } from "./purchaseLog.ts";

export type Recommender = (user: number, owned: ReadonlySet<number>, count: number) => number[];

/** The most bought items the user does not own. */
export function popularityRecommender(train: readonly Purchase[]): Recommender {
  const counts = new Map<number, number>();
  for (const { item } of train) counts.set(item, (counts.get(item) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([item]) => item);
  return (_user, owned, count) => ranked.filter((item) => !owned.has(item)).slice(0, count);
}

/**
 * Item-item collaborative filtering: cosine similarity of items over the buyers who bought them
 * (co-purchases / sqrt(buyers of i × buyers of j)), each item keeping its neighboursMax most
 * similar; a user's score of an item is the sum of its similarities to the items the user owns.
 * Where that finds fewer than `count` items (a buyer of one niche item), popularity fills the rest.
 */
export function itemItemRecommender(train: readonly Purchase[], neighboursMax = 50): Recommender {
  const itemsOfUser = new Map<number, number[]>();
  const buyers = new Map<number, number>();
  for (const { user, item } of train) {
    const items = itemsOfUser.get(user) ?? [];
    items.push(item);
    itemsOfUser.set(user, items);
    buyers.set(item, (buyers.get(item) ?? 0) + 1);
  }
  const together = new Map<number, Map<number, number>>();
  for (const items of itemsOfUser.values()) {
    for (const a of items) {
      const row = together.get(a) ?? new Map<number, number>();
      together.set(a, row);
      for (const b of items) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
    }
  }
  const neighbours = new Map<number, [number, number][]>();
  for (const [a, row] of together) {
    const similar = [...row.entries()].map(([b, count]): [number, number] => [b, count / Math.sqrt(buyers.get(a)! * buyers.get(b)!)]);
    neighbours.set(a, similar.sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, neighboursMax));
  }
  const fallback = popularityRecommender(train);
  return (user, owned, count) => {
    const scores = new Map<number, number>();
    for (const item of itemsOfUser.get(user) ?? []) {
      for (const [other, similarity] of neighbours.get(item) ?? []) {
        if (!owned.has(other)) scores.set(other, (scores.get(other) ?? 0) + similarity);
      }
    }
    const ranked = [...scores.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .map(([item]) => item)
      .slice(0, count);
    if (ranked.length < count) {
      const taken = new Set([...owned, ...ranked]);
      ranked.push(...fallback(user, taken, count - ranked.length));
    }
    return ranked;
  };
}
