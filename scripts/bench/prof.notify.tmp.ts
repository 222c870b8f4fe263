import { startTestPlatform } from "../../test/support/platform.ts";
import { setupMerchant, createProduct, importKeys, randomKeys } from "../../test/support/merchantSetup.ts";
import { notifyPath, signedNotification } from "../../test/support/epayNotify.ts";
const platform = await startTestPlatform({ workers: true });
const setup = await setupMerchant(platform);
const productId = await createProduct(setup);
await importKeys(setup, productId, randomKeys(400, "P"));
const orders = [];
for (let i = 0; i < 300; i++) orders.push((await platform.http.post("/api/orders", { productId, quantity: 1, contact: "p@example.com", queryPassword: "pass-1234" })).body.order);
const times: number[] = [];
for (let i = 0; i < 300; i++) {
  const t = performance.now();
  const r = await platform.http.get(notifyPath(setup.shopId, signedNotification(setup.sandbox, orders[i], `T${i}`)));
  times.push(performance.now() - t);
  if (r.text !== "success") console.log(r.text);
}
times.sort((a, b) => a - b);
console.log("sequential notify p50", times[150]?.toFixed(2), "p90", times[270]?.toFixed(2));
await platform.stopAll();
