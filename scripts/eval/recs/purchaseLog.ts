// A generated purchase log with the shape real shops' logs have (docs/discovery.md,
// "Recommendations: offline evaluation", says why each number was chosen):
// - power-law popularity: item weights 1 / rank^popularityExponent over a shuffled catalogue,
//   so a few items sell most (the long tail of a card-key shop: top-up cards, then niche keys);
// - clustered tastes: items belong to taste clusters (a game's cards, a software family), each
//   buyer favours one or two clusters and buys there with probability tasteAffinity, elsewhere
//   by global popularity;
// - time: every purchase has a time, buyers arrive over the period and buy in sequence, so the
//   log can be split at a moment (train before, test after) as a live system would be.
import { seededRandom } from "../../lib/seededRandom.ts";

export type Purchase = { user: number; item: number; time: number };

export type PurchaseLogParameters = {
  seed: number;
  items: number;
  clusters: number;
  users: number;
  popularityExponent: number;
  tasteAffinity: number;
  purchasesPerUserMin: number;
  purchasesPerUserMax: number;
};

export const purchaseLogDefaults: PurchaseLogParameters = {
  seed: 22,
  items: 1_000,
  clusters: 25,
  users: 4_000,
  popularityExponent: 1.0,
  tasteAffinity: 0.75,
  purchasesPerUserMin: 2,
  purchasesPerUserMax: 30,
};

/** Draws an index from cumulative weights (binary search). */
function drawer(weights: number[], random: () => number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const weight of weights) {
    total += weight;
    cumulative.push(total);
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

export function generatePurchaseLog(parameters: PurchaseLogParameters = purchaseLogDefaults): Purchase[] {
  const random = seededRandom(parameters.seed);
  // Popularity ranks shuffled over the catalogue, so every cluster has popular and niche items.
  const ranks = Array.from({ length: parameters.items }, (_, index) => index + 1);
  for (let index = ranks.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [ranks[index], ranks[other]] = [ranks[other]!, ranks[index]!];
  }
  const popularity = ranks.map((rank) => 1 / rank ** parameters.popularityExponent);
  const clusterOf = (item: number) => item % parameters.clusters;
  const anyItem = drawer(popularity, random);
  const inCluster = Array.from({ length: parameters.clusters }, (_, cluster) => {
    const members = popularity.map((_, item) => item).filter((item) => clusterOf(item) === cluster);
    const draw = drawer(
      members.map((item) => popularity[item]!),
      random,
    );
    return () => members[draw()]!;
  });

  const log: Purchase[] = [];
  for (let user = 0; user < parameters.users; user++) {
    const tastes = [Math.floor(random() * parameters.clusters)];
    if (random() < 0.5) tastes.push(Math.floor(random() * parameters.clusters));
    // Purchases per buyer: a heavy tail too (most buy a few times, some many): 1/u^2 draws.
    const span = parameters.purchasesPerUserMax - parameters.purchasesPerUserMin;
    const count = parameters.purchasesPerUserMin + Math.min(span, Math.floor(span * random() ** 2));
    let time = random() * 0.5;
    const owned = new Set<number>();
    for (let purchase = 0; purchase < count; purchase++) {
      time += random() * (0.5 / count);
      let item = -1;
      // A buyer does not buy the same key twice in this log (repeat top-ups are what the shop
      // already shows under "buy again"); a bounded number of draws to find a new one.
      for (let attempt = 0; attempt < 20 && (item < 0 || owned.has(item)); attempt++) {
        item = random() < parameters.tasteAffinity ? inCluster[tastes[Math.floor(random() * tastes.length)]!]!() : anyItem();
      }
      if (owned.has(item)) continue;
      owned.add(item);
      log.push({ user, item, time });
    }
  }
  return log.sort((a, b) => a.time - b.time);
}
