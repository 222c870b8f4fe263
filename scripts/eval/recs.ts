// `npm run eval:recs`: offline evaluation of the item-item recommender against popularity on a
// generated purchase log (scripts/eval/recs/purchaseLog.ts; assumptions in docs/discovery.md).
// The log is split at a moment in time: what was bought before trains both recommenders, and
// each buyer with purchases on both sides is asked for 10 items, scored against what they bought
// after (precision at 10: hits / 10, averaged over those buyers). Prints name=value lines.
import { generatePurchaseLog, purchaseLogDefaults } from "./recs/purchaseLog.ts";
import { itemItemRecommender, popularityRecommender, type Recommender } from "./recs/recommenders.ts";

const listLength = 10;
const trainShare = 0.8;

const started = process.cpuUsage();
// `npm run eval:recs -- --seed 7` reruns on another generated log.
const seedFlag = process.argv.indexOf("--seed");
const seed = seedFlag > 0 ? Number(process.argv[seedFlag + 1]) : purchaseLogDefaults.seed;
if (!Number.isSafeInteger(seed)) throw new Error("--seed must be an integer");
const log = generatePurchaseLog({ ...purchaseLogDefaults, seed });
const cut = log[Math.floor(log.length * trainShare)]!.time;
const train = log.filter((purchase) => purchase.time < cut);
const test = log.filter((purchase) => purchase.time >= cut);

const ownedBefore = new Map<number, Set<number>>();
for (const { user, item } of train) ownedBefore.set(user, (ownedBefore.get(user) ?? new Set()).add(item));
const boughtAfter = new Map<number, Set<number>>();
for (const { user, item } of test) if (ownedBefore.has(user)) boughtAfter.set(user, (boughtAfter.get(user) ?? new Set()).add(item));

function precisionAt(recommender: Recommender): number {
  let total = 0;
  for (const [user, later] of boughtAfter) {
    const list = recommender(user, ownedBefore.get(user)!, listLength);
    total += list.filter((item) => later.has(item)).length / listLength;
  }
  return total / boughtAfter.size;
}

const recs = precisionAt(itemItemRecommender(train));
const popularity = precisionAt(popularityRecommender(train));
const cpu = process.cpuUsage(started);
console.log(`recs_seed=${seed}`);
console.log(`recs_purchases=${log.length} recs_train_purchases=${train.length} recs_test_purchases=${test.length} recs_evaluated_users=${boughtAfter.size}`);
console.log(`recs_cpu_ms=${Math.round((cpu.user + cpu.system) / 1000)}`);
console.log(`recs_precision_at_10=${recs.toFixed(4)}`);
console.log(`popularity_precision_at_10=${popularity.toFixed(4)}`);
console.log(`recs_vs_popularity_ratio=${(recs / popularity).toFixed(2)}`);
