// Suppliers on other Keyledger instances (docs/docking.md, "Across instances"). A reseller's
// merchant adds one by the upstream's URL and an API key of its account there. Before anything
// is written: the URL passes the webhooks' SSRF check (webhooks/receiverAddress.ts), the
// upstream answers as a Keyledger instance on the same chain as this one (its contracts are then
// pinned), and the key is accepted there. The key is stored only encrypted with the shop's data
// key and never answered, logged or put in an error again.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { createKeyledgerClient, KeyledgerError, ok, type KeyledgerClient } from "../../../sdk/src/index.ts";
import { decryptSecret, encryptSecret, remoteSupplierKeyAad } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { apiKeyHint } from "../apiKeys/apiKeySecret.ts";
import { recordAudit } from "../audit.ts";
import { assertReceiverUrl } from "../webhooks/receiverAddress.ts";
import { createUpstreamFetch, upstreamFetchDefaults } from "./upstreamFetch.ts";

export type RemoteSupplierDeps = { db: Drizzle; keyRing: MasterKeyRing; allowLoopback: boolean; chainId: bigint | undefined };

export type RemoteSupplierView = {
  id: string;
  shopId: string;
  url: string;
  apiKeyHint: string;
  chainId: string;
  registry: string;
  entitlement: string;
  createdAt: string;
};

type Row = {
  id: string;
  shop_id: string;
  base_url: string;
  api_key_hint: string;
  chain_id: string;
  registry_address: string;
  entitlement_address: string;
  created_at: Date | string;
};

const viewColumns = sql`id::text, shop_id::text, base_url, api_key_hint, chain_id, registry_address, entitlement_address, created_at`;

function viewOf(row: Row): RemoteSupplierView {
  return {
    id: row.id,
    shopId: row.shop_id,
    url: row.base_url,
    apiKeyHint: row.api_key_hint,
    chainId: row.chain_id,
    registry: row.registry_address,
    entitlement: row.entitlement_address,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The SDK's client of an upstream, every connection SSRF-guarded. */
export function upstreamClient(baseUrl: string, apiKey: string, allowLoopback: boolean): KeyledgerClient {
  return createKeyledgerClient({ baseUrl, apiKey, fetch: createUpstreamFetch({ allowLoopback, ...upstreamFetchDefaults }) });
}

/** What the upstream says of itself, checked; the errors never carry the key. */
async function probeUpstream(url: URL, apiKey: string, deps: RemoteSupplierDeps) {
  const baseUrl = url.origin + url.pathname.replace(/\/+$/, "");
  const client = upstreamClient(baseUrl, apiKey, deps.allowLoopback);
  let config: PublicConfig;
  try {
    config = await readConfig(baseUrl, deps.allowLoopback);
  } catch (error) {
    throw new AppError(
      "remote_supplier_unreachable",
      `The upstream at ${url.origin} did not answer as a Keyledger instance (${reasonOf(error)}); check the URL and that it is reachable from here.`,
    );
  }
  if (!config.chainId || !config.contracts) {
    throw new AppError("remote_supplier_chain", `The upstream at ${url.origin} has no chain configured, so its keys cannot be verified.`);
  }
  if (deps.chainId === undefined || BigInt(config.chainId) !== deps.chainId) {
    throw new AppError(
      "remote_supplier_chain",
      `The upstream at ${url.origin} commits its keys on chain ${config.chainId}, this instance reads chain ${deps.chainId ?? "none"}: only a supplier on the same chain can be verified before its keys are sold.`,
    );
  }
  try {
    // Any scoped call authenticates the key; products:read is the one a supplier's key needs first.
    ok(await client.GET("/api/shops", { params: { query: { mine: "true" } } }));
  } catch (error) {
    if (error instanceof KeyledgerError && error.status < 500) {
      throw new AppError(
        "remote_supplier_key_refused",
        `The upstream refused the API key (${error.code}); create a key there with the scopes products:read, orders:read and orders:write.`,
        {
          details: { upstreamCode: error.code },
        },
      );
    }
    throw new AppError("remote_supplier_unreachable", `The upstream at ${url.origin} failed to answer (${reasonOf(error)}); try again later.`);
  }
  return { chainId: config.chainId, registry: config.contracts.registry, entitlement: config.contracts.entitlement };
}

type PublicConfig = { chainId: string | null; contracts: { registry: string; entitlement: string } | null };

// The public configuration is read without the key: a key answers 403 on routes it has no scope for.
async function readConfig(baseUrl: string, allowLoopback: boolean): Promise<PublicConfig> {
  const response = await createUpstreamFetch({ allowLoopback, ...upstreamFetchDefaults })(new Request(`${baseUrl}/api/config/public`));
  if (!response.ok) throw new KeyledgerError(response.status, undefined);
  const body = (await response.json()) as PublicConfig;
  if (typeof body !== "object" || body === null || !("chainId" in body)) throw new Error("not a Keyledger configuration");
  return body;
}

// A connection error's code or a status, never the request (which carries the key in a header).
function reasonOf(error: unknown): string {
  if (error instanceof KeyledgerError) return `${error.status} ${error.code}`;
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = (error as { code?: string }).code ?? cause?.code;
  return code ?? "no answer";
}

export async function addRemoteSupplier(
  deps: RemoteSupplierDeps,
  input: { shopId: bigint; accountId: bigint; url: string; apiKey: string },
): Promise<RemoteSupplierView> {
  const url = await assertReceiverUrl(input.url, deps.allowLoopback);
  if (url.search || url.hash)
    throw new AppError("validation_failed", "The upstream URL is the instance's origin (https://shop.example), without a query or fragment.");
  const baseUrl = url.origin + url.pathname.replace(/\/+$/, "");
  const pinned = await probeUpstream(url, input.apiKey, deps);
  const row = await deps.db.transaction(async (tx) => {
    const existing = await queryOne<{ id: string }>(tx, sql`SELECT id::text FROM remote_suppliers WHERE shop_id = ${input.shopId} AND base_url = ${baseUrl}`);
    if (existing) throw new AppError("conflict", `This shop already has the supplier at ${baseUrl} (supplier ${existing.id}).`);
    const next = await queryOne<{ id: string }>(tx, sql`SELECT nextval('remote_suppliers_id_seq')::text AS id`);
    const supplierId = BigInt(next!.id);
    const dataKey = await loadShopDataKey(tx, deps.keyRing, input.shopId);
    const encrypted = encryptSecret(dataKey, input.apiKey, remoteSupplierKeyAad({ shopId: input.shopId, supplierId }));
    const inserted = await queryOne<Row>(
      tx,
      sql`INSERT INTO remote_suppliers (id, shop_id, base_url, api_key_encrypted, api_key_hint, chain_id, registry_address, entitlement_address)
          VALUES (${supplierId}, ${input.shopId}, ${baseUrl}, ${encrypted}, ${apiKeyHint(input.apiKey)}, ${pinned.chainId}, ${pinned.registry.toLowerCase()},
                  ${pinned.entitlement.toLowerCase()})
          ON CONFLICT ON CONSTRAINT remote_suppliers_once DO NOTHING
          RETURNING ${viewColumns}`,
    );
    if (!inserted) throw new AppError("conflict", `This shop already has the supplier at ${baseUrl}.`);
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "docking.remote_supplier.add",
      subject: `remote_supplier:${supplierId}`,
      details: { shopId: String(input.shopId), url: baseUrl, apiKeyHint: inserted.api_key_hint },
    });
    return inserted;
  });
  return viewOf(row);
}

export async function listRemoteSuppliers(db: Drizzle, shopId: bigint): Promise<RemoteSupplierView[]> {
  const rows = await queryRows<Row>(db, sql`SELECT ${viewColumns} FROM remote_suppliers WHERE shop_id = ${shopId} ORDER BY id`);
  return rows.map(viewOf);
}

export type RemoteSupplier = RemoteSupplierView & { client: KeyledgerClient };

/** A supplier with a client holding its decrypted key (in memory only, for the purchase job). */
export async function openRemoteSupplier(deps: Omit<RemoteSupplierDeps, "chainId">, supplierId: bigint): Promise<RemoteSupplier> {
  const row = await queryOne<Row & { api_key_encrypted: Buffer }>(
    deps.db,
    sql`SELECT ${viewColumns}, api_key_encrypted FROM remote_suppliers WHERE id = ${supplierId}`,
  );
  if (!row) throw new AppError("not_found", `No remote supplier ${supplierId}.`);
  const shopId = BigInt(row.shop_id);
  const dataKey = await loadShopDataKey(deps.db, deps.keyRing, shopId);
  const apiKey = decryptSecret(dataKey, Buffer.from(row.api_key_encrypted), remoteSupplierKeyAad({ shopId, supplierId }));
  return { ...viewOf(row), client: upstreamClient(row.base_url, apiKey, deps.allowLoopback) };
}
