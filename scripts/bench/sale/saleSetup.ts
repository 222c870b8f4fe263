// What the sale benchmark and the fault drills share: JSON calls over any HTTP transport, and a
// merchant with a shop on the sandbox EPay gateway and one product whose keys are imported and
// anchored, all set up through the API as a merchant would.
import { randomBytes } from "node:crypto";
import http from "node:http";
import { newSandboxMerchant } from "../../../api/payments/epaySandbox.ts";
import type { HttpAnswer } from "./keepAliveConnection.ts";

export type Json = Record<string, unknown>;

export type Send = (method: string, route: string, headers: Record<string, string>, payload: string | undefined) => Promise<HttpAnswer>;

// Setup requests go through node:http with one kept-alive agent.
const agent = new http.Agent({ keepAlive: true });

/** Sends through node:http to baseUrl; `keepAlive: false` opens a new connection per request (as a payment gateway does). */
export function nodeHttpSend(baseUrl: string, options: { keepAlive?: boolean; timeoutMs?: number } = {}): Send {
  return (method, route, headers, payload) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        baseUrl + route,
        {
          method,
          headers: payload === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(payload)) },
          agent: options.keepAlive === false ? false : agent,
          timeout: options.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
}

/** One JSON call: a string body goes as text/plain (key imports), anything else as JSON. */
export async function call(
  send: Send,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; text: string }> {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const { status, text } = await send(
    method,
    route,
    payload === undefined ? headers : { "content-type": typeof body === "string" ? "text/plain" : "application/json", ...headers },
    payload,
  );
  let parsed: Json = {};
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    // plain text ("success")
  }
  return { status, body: parsed, text };
}

export type SaleProduct = {
  shopId: string;
  productId: string;
  /** The shop's sandbox EPay merchant: notifications signed with it are the gateway's. */
  merchant: { pid: string; key: string };
  /** The merchant's bearer token. */
  token: string;
};

export type SetupSaleProductParameters = {
  url: string;
  sandboxSecret: string;
  keys: number;
  /** Keys per import (one batch each), imported one after the other: all in one import when unset. */
  keysPerImport?: number;
  /** Distinguishes the merchant's e-mail and the shop's slug when one database holds several. */
  name?: string;
  priceMinor?: string;
};

/** Signs a merchant up, opens a shop on the sandbox gateway, and imports `keys` keys into one product, waiting until they are anchored. */
export async function setupSaleProduct(parameters: SetupSaleProductParameters): Promise<SaleProduct> {
  const send = nodeHttpSend(parameters.url);
  const name = parameters.name ?? "bench";
  const expect = (what: string, answer: { status: number; text: string }, status: number) => {
    if (answer.status !== status) throw new Error(`${what} answered ${answer.status}: ${answer.text}`);
  };
  const signup = await call(send, "POST", "/api/auth/signup", { email: `${name}@example.com`, password: `${name}-password-1`, roles: ["merchant"] });
  expect("signup", signup, 201);
  const auth = { authorization: `Bearer ${signup.body.token}` };
  const shop = await call(send, "POST", "/api/shops", { slug: name, name }, auth);
  expect("shop", shop, 201);
  const merchant = newSandboxMerchant(parameters.sandboxSecret);
  const settings = await call(
    send,
    "PUT",
    `/api/shops/${shop.body.id}/payment-settings/epay`,
    { gatewayUrl: `${parameters.url}/sandbox/epay/`, ...merchant },
    auth,
  );
  expect("payment settings", settings, 204);
  const product = await call(
    send,
    "POST",
    `/api/shops/${shop.body.id}/products`,
    { name: `${name} card`, category: "game_card", priceMinor: parameters.priceMinor ?? "990", currency: "CNY" },
    auth,
  );
  expect("product", product, 201);
  const keysPerImport = parameters.keysPerImport ?? parameters.keys;
  for (let first = 0; first < parameters.keys; first += keysPerImport) {
    const count = Math.min(keysPerImport, parameters.keys - first);
    const keys = Array.from({ length: count }, (_, i) => `${name.toUpperCase()}-${first + i}-${randomBytes(6).toString("hex")}`).join("\n");
    const imported = await call(send, "POST", `/api/products/${product.body.id}/imports`, keys, auth);
    expect("import", imported, 202);
    for (;;) {
      const progress = await call(send, "GET", `/api/imports/${imported.body.importId}`, undefined, auth);
      if (progress.body.status === "failed") throw new Error(`import failed: ${progress.text}`);
      if (progress.body.status === "done" && ["included", "confirmed"].includes(String(progress.body.anchorState))) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return { shopId: String(shop.body.id), productId: String(product.body.id), merchant, token: String(signup.body.token) };
}
