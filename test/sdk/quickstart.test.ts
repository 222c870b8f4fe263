// The SDK's README example (sdk/examples/quickstart.ts), run as it is, in its own Node process,
// against the running platform with a scoped API key: what it prints is then checked against
// the database, read here without the SDK or the API. The README shows that very file.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";
import { queryOne, queryRows, sql } from "../../core/store/database.ts";
import { createProduct, importKeys, randomKeys, setupMerchant } from "../support/merchantSetup.ts";
import { usePlatform } from "../support/platform.ts";

const examplePath = fileURLToPath(new URL("../../sdk/examples/quickstart.ts", import.meta.url));
const readmePath = fileURLToPath(new URL("../../sdk/README.md", import.meta.url));

describe("SDK quickstart (sdk/README.md)", function () {
  this.timeout(300_000);
  const suite = usePlatform();

  it("the README shows the example file exactly", () => {
    const example = readFileSync(examplePath, "utf8");
    const readme = readFileSync(readmePath, "utf8");
    expect(readme.includes(`\`\`\`ts\n${example}\`\`\``), "sdk/README.md's example differs from sdk/examples/quickstart.ts: paste the file in again").to.equal(
      true,
    );
  });

  it("creates a product, imports keys and reads orders with an API key, as the database shows", async () => {
    const { platform } = suite;
    const setup = await setupMerchant(platform);
    // An order in the shop for the example to read: a guest's checkout of anchored keys.
    const existing = await createProduct(setup);
    await importKeys(setup, existing, randomKeys(2, "QS"));
    const checkout = await platform.http.post("/api/orders", { productId: existing, quantity: 1, contact: "qs@example.com", queryPassword: "quickstart-1" });
    expect(checkout.status, checkout.text).to.equal(201);

    const key = await setup.merchant.post("/api/api-keys", { name: "quickstart", scopes: ["products:read", "products:write", "keys:import", "orders:read"] });
    expect(key.status, key.text).to.equal(201);
    const { stdout } = await promisify(execFile)(process.execPath, [examplePath], {
      env: { ...process.env, KEYLEDGER_URL: platform.url, KEYLEDGER_API_KEY: key.body.secret },
      timeout: 120_000,
    });
    const printed = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      shopId: string;
      productId: string;
      importId: string;
      importStatus: string;
      orders: { id: string; state: string }[];
    };

    const db = platform.database.db;
    expect(printed.shopId).to.equal(setup.shopId);
    const product = await queryOne<{ shop_id: string; name: string; price_minor: string }>(
      db,
      sql`SELECT shop_id, name, price_minor FROM products WHERE id = ${printed.productId}`,
    );
    expect({ shopId: String(product!.shop_id), name: product!.name, priceMinor: String(product!.price_minor) }).to.deep.equal({
      shopId: setup.shopId,
      name: "Steam Wallet 50",
      priceMinor: "5000",
    });
    const imported = await queryOne<{ status: string; total: number; product_id: string }>(
      db,
      sql`SELECT status, total, product_id FROM imports WHERE id = ${printed.importId}`,
    );
    expect({ status: imported!.status, total: Number(imported!.total), productId: String(imported!.product_id) }).to.deep.equal({
      status: "done",
      total: 3,
      productId: printed.productId,
    });
    expect(printed.importStatus).to.equal("done");
    const keys = await queryOne<{ n: string }>(db, sql`SELECT count(*) AS n FROM keys WHERE product_id = ${printed.productId}`);
    expect(Number(keys!.n)).to.equal(3);
    const orders = await queryRows<{ id: string; state: string }>(db, sql`SELECT id, state FROM orders WHERE shop_id = ${setup.shopId} ORDER BY id`);
    expect(orders).to.have.length(1);
    expect([...printed.orders].sort((a, b) => a.id.localeCompare(b.id))).to.deep.equal(orders.map((order) => ({ id: order.id, state: order.state })));
    // Every call the example made is in the audit log under its key.
    const calls = await queryOne<{ n: string }>(db, sql`SELECT count(*) AS n FROM audit_log WHERE action = 'api_key.call' AND api_key_id = ${key.body.key.id}`);
    expect(Number(calls!.n)).to.be.at.least(5);
  });
});
