// The SDK's quickstart (sdk/README.md): with an API key that has the scopes products:read,
// products:write, keys:import and orders:read, create a product in your shop, import keys into
// it, wait for the import, and read the shop's orders.
//   KEYLEDGER_URL=https://shop.example KEYLEDGER_API_KEY=kl_live_… node examples/quickstart.ts
// test/sdk/quickstart.test.ts runs this very file against a running platform.
import { createKeyledgerClient, importKeys, ok } from "@keyledger/sdk";

const client = createKeyledgerClient({ baseUrl: process.env.KEYLEDGER_URL!, apiKey: process.env.KEYLEDGER_API_KEY! });

// The key acts for its owner: `mine=true` lists the owner's shops.
const shops = ok(await client.GET("/api/shops", { params: { query: { mine: "true" } } }));
const shop = shops.items[0];
if (!shop) throw new Error("The key's owner has no shop yet: create one in the console first.");

const product = ok(
  await client.POST("/api/shops/{shopId}/products", {
    params: { path: { shopId: shop.id } },
    body: { name: "Steam Wallet 50", category: "game_card", priceMinor: "5000", currency: "CNY" },
  }),
);

const keys = ["STEAM-AAAA-0001", "STEAM-AAAA-0002", "STEAM-AAAA-0003"];
const started = ok(await importKeys(client, product.id, keys));
let progress = ok(await client.GET("/api/imports/{importId}", { params: { path: { importId: started.importId } } }));
while (progress.status !== "done" && progress.status !== "failed") {
  await new Promise((resolve) => setTimeout(resolve, 250));
  progress = ok(await client.GET("/api/imports/{importId}", { params: { path: { importId: started.importId } } }));
}

const orders = ok(await client.GET("/api/shops/{shopId}/orders", { params: { path: { shopId: shop.id }, query: { limit: 20 } } }));

console.log(
  JSON.stringify({
    shopId: shop.id,
    productId: product.id,
    importId: started.importId,
    importStatus: progress.status,
    orders: orders.items.map((order) => ({ id: order.id, state: order.state })),
  }),
);
