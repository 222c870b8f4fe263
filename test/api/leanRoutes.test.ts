// The sale's hot routes are answered ahead of Express (api/http/leanRoutes.ts). The same app is
// served twice here, once through createHttpServer (lean routes first) and once by Express
// alone, and every answer, good or bad, must be the same: status, body and headers.
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { expect } from "chai";
import { createApp } from "../../api/http/app.ts";
import { createHttpServer, leanDispatcherOf } from "../../api/http/leanRoutes.ts";
import { notifyPath, signedNotification } from "../support/epayNotify.ts";
import { createProduct, importKeys, randomKeys, setupMerchant, type MerchantSetup } from "../support/merchantSetup.ts";
import { HttpClient, usePlatform, waitFor, type HttpResponse } from "../support/platform.ts";

describe("lean routes answer exactly as Express does", function () {
  this.timeout(180_000);
  const handle = usePlatform({ workers: true });
  let setup: MerchantSetup;
  let productId: string;
  let servers: Server[] = [];
  let lean: HttpClient;
  let express: HttpClient;
  let served: () => number;

  before(async () => {
    setup = await setupMerchant(handle.platform);
    productId = await createProduct(setup, { name: "Lean" });
    await importKeys(setup, productId, randomKeys(6, "LEAN"));
    const app = createApp(handle.platform.ctx);
    served = () => leanDispatcherOf(app)!.served();
    const listen = async (server: Server) => {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      return new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    };
    lean = await listen(createHttpServer(app));
    express = await listen(createServer(app));
  });
  after(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    servers = [];
  });

  // Everything but the moment, the connection's own headers and the request id (new for every
  // request, and set by the server around both paths: api/http/requestObservation.ts).
  function comparable(response: HttpResponse) {
    const headers = Object.fromEntries([...response.headers].filter(([name]) => !["date", "keep-alive", "connection", "x-request-id"].includes(name)));
    return { status: response.status, headers, text: response.text };
  }

  async function both(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const before = served();
    const viaLean = await lean.request(method, path, body, headers);
    const leanServed = served() - before;
    const viaExpress = await express.request(method, path, body, headers);
    return { viaLean, viaExpress, leanServed };
  }

  it("refuses bad checkouts, order pages and notifications with the same answers", async () => {
    const cases: [string, string, unknown?, Record<string, string>?][] = [
      ["POST", "/api/orders", '{"productId": ', { "content-type": "application/json" }],
      ["POST", "/api/orders", "[]", { "content-type": "application/json" }],
      ["POST", "/api/orders", '"a string"', { "content-type": "application/json" }],
      ["POST", "/api/orders", { productId, quantity: 1, contact: "a@example.com", queryPassword: "pass-1234", extra: true }],
      ["POST", "/api/orders", { productId, quantity: -1, contact: "a@example.com", queryPassword: "pass-1234" }],
      ["POST", "/api/orders", { productId: "999999", quantity: 1, contact: "a@example.com", queryPassword: "pass-1234" }],
      ["POST", "/api/orders", { productId, quantity: 1 }],
      ["POST", "/api/orders", { productId, quantity: 1, contact: "a@example.com", queryPassword: "pass-1234" }, { "idempotency-key": "short" }],
      ["GET", "/api/orders/KL00000000000000"],
      ["GET", "/api/orders/not-an-order"],
      ["GET", "/api/orders/KL00000000000000?waitSeconds=99"],
      ["GET", "/api/orders/KL00000000000000?token=x&unknown=1"],
      ["GET", `/api/payments/epay/notify/${setup.shopId}?pid=1&sign=bad&trade_status=TRADE_SUCCESS`],
      ["GET", "/api/payments/epay/notify/999999?pid=1&sign=bad"],
      ["GET", `/api/payments/epay/notify/${setup.shopId}?BAD-NAME=1`],
      ["GET", "/api/payments/epay/notify/not-a-shop?pid=1"],
    ];
    for (const [method, path, body, headers] of cases) {
      const { viaLean, viaExpress, leanServed } = await both(method, path, body, headers);
      expect(leanServed, `${method} ${path} was answered by the lean path`).to.equal(1);
      expect(viaLean.status, `${method} ${path}: ${viaLean.text}`).to.be.within(400, 499);
      expect(comparable(viaLean), `${method} ${path}`).to.deep.equal(comparable(viaExpress));
    }
  });

  it("sells the same way: checkout, notification and order page", async () => {
    const checkout = async (client: HttpClient) => {
      const answer = await client.post("/api/orders", { productId, quantity: 1, contact: "lean@example.com", queryPassword: "pass-1234" });
      expect(answer.status, answer.text).to.equal(201);
      return answer;
    };
    const before = served();
    const viaLean = await checkout(lean);
    expect(served() - before).to.equal(1);
    const viaExpress = await checkout(express);
    // Different orders on servers at different addresses, the same answer around them.
    const shape = (answer: HttpResponse, client: HttpClient) => ({
      ...comparable(answer),
      headers: { ...comparable(answer).headers, "content-length": "" },
      text: answer.text
        .replaceAll(answer.body.order.id, "ORDER")
        .replaceAll(encodeURIComponent(client.baseUrl), "BASE")
        .replaceAll(encodeURIComponent(answer.body.accessToken), "TOKEN")
        .replace(/"accessToken":"[^"]+"/, "")
        // The gateway's return URL carries a short-lived token of its own order.
        .replace(/token%3D[A-Za-z0-9._-]+/g, "token%3DRETURN")
        .replace(/sign=[0-9a-f]{32}/g, "")
        .replace(/"expiresAt":"[^"]+"|"createdAt":"[^"]+"/g, ""),
    });
    expect(shape(viaLean, lean)).to.deep.equal(shape(viaExpress, express));
    // The gateway calls back PUBLIC_URL, never the Host the checkout named.
    expect(new URL(viaLean.body.payment.url).searchParams.get("notify_url")).to.equal(
      `${handle.platform.ctx.config.http.publicUrl}/api/payments/epay/notify/${setup.shopId}`,
    );

    const order = viaLean.body.order as { id: string; amountMinor: string };
    const notification = notifyPath(setup.shopId, signedNotification(setup.sandbox, order, `T-LEAN-${order.id}`));
    const paid = await both("GET", notification);
    expect(paid.leanServed).to.equal(1);
    expect(paid.viaLean.text).to.equal("success");
    // The second delivery is a replay, answered the same.
    expect(comparable(paid.viaLean)).to.deep.equal(comparable(paid.viaExpress));

    const page = `/api/orders/${order.id}?token=${encodeURIComponent(viaLean.body.accessToken as string)}&waitSeconds=5`;
    await waitFor("delivery", async () => (await lean.get(page)).body.state === "fulfilled");
    const pages = await both("GET", page);
    expect(pages.leanServed).to.equal(1);
    expect(pages.viaLean.body.items).to.have.length(1);
    expect(pages.viaLean.body.items[0].code).to.match(/^LEAN-/);
    // The chain writer may issue the entitlement between the two reads: its on-chain fields
    // are left out, everything else must be the same.
    const settled = (answer: HttpResponse) => {
      const { headers, status } = comparable(answer);
      const items = (answer.body.items as Record<string, unknown>[]).map(({ tokenId: _t, issueState: _s, issueTx: _x, ...rest }) => rest);
      return { status, headers: { ...headers, "content-length": "" }, body: { ...answer.body, items } };
    };
    expect(settled(pages.viaLean)).to.deep.equal(settled(pages.viaExpress));
  });

  it("lets a client leave in the middle of its body without harm", async () => {
    const before = served();
    const { port } = new URL(lean.baseUrl);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write('POST /api/orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"productId":');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on("close", () => resolve());
      socket.on("error", reject);
    });
    expect(served() - before).to.equal(1);
    const after = await lean.get("/api/orders/KL00000000000000");
    expect(after.status).to.equal(404);
  });

  it("leaves to Express what it does not reproduce exactly", async () => {
    const requests: [string, string, unknown?, Record<string, string>?][] = [
      ["POST", `/api/payments/epay/notify/${setup.shopId}`, "pid=1&sign=bad", { "content-type": "application/x-www-form-urlencoded" }],
      ["POST", "/api/orders", JSON.stringify({ productId, quantity: 1 }), { "content-type": "text/plain" }],
      ["HEAD", "/api/orders/KL00000000000000"],
      ["GET", "/api/orders/KL00000000000000/"],
      ["GET", "/api/orders/KL0000000000%30000"],
    ];
    for (const [method, path, body, headers] of requests) {
      const { viaLean, viaExpress, leanServed } = await both(method, path, body, headers);
      expect(leanServed, `${method} ${path} was left to Express`).to.equal(0);
      expect(viaLean.status, `${method} ${path}`).to.be.within(400, 499);
      expect(comparable(viaLean), `${method} ${path}`).to.deep.equal(comparable(viaExpress));
    }
  });
});
