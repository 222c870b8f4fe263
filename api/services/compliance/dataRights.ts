// A person's data rights (docs/compliance.md, "Data rights"): the export of everything the platform
// holds about them, and their erasure. The export follows every foreign key to `accounts` (so a new
// table that refers to a person is exported without this module changing), plus guest orders
// placed under their email and their ledger accounts. Erasure replaces or deletes every personal
// field in one transaction, destroys the data keys of the shops they own and their own data key
// that seals the codes delivered to them (crypto-shredding), overwrites the codes still under a
// shop's key (guest orders), while the journal and the chain records stay:
// those hold ids and amounts only (the scan in test/compliance/dataRights.test.ts proves it).
import { randomBytes } from "node:crypto";
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { resealTransferredKeys } from "../../keys/buyerSeal.ts";
import { forgetDataKey } from "../../keys/envelope.ts";
import { forgetShopDataKey } from "../../keys/shopDataKey.ts";
import { recordAudit } from "../audit.ts";
import { shredGuestOrders } from "./shredGuestOrders.ts";

/** Columns never exported: credentials and their hashes, ciphertexts (binary columns are left out too). */
const secretColumn = /(password|secret|token|hash|ciphertext|encrypted|wrapped|challenge|nonce|code_hash|public_key)/;
const rowsPerTableMax = 10_000;

type Reference = { table: string; column: string };

/** Every (table, column) with a foreign key to accounts(id), from the catalogue. */
async function accountReferences(db: Drizzle): Promise<Reference[]> {
  return queryRows<Reference>(
    db,
    sql`SELECT DISTINCT cl.relname AS table, att.attname AS column
        FROM pg_constraint con
          JOIN pg_class cl ON cl.oid = con.conrelid
          JOIN pg_class ref ON ref.oid = con.confrelid
          JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
        WHERE con.contype = 'f' AND ref.relname = 'accounts' AND cl.relnamespace = 'public'::regnamespace
        ORDER BY 1, 2`,
  );
}

async function exportableColumns(db: Drizzle, table: string): Promise<string[]> {
  const columns = await queryRows<{ column_name: string; data_type: string }>(
    db,
    sql`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${table} ORDER BY ordinal_position`,
  );
  return columns.filter((column) => column.data_type !== "bytea" && !secretColumn.test(column.column_name)).map((column) => column.column_name);
}

export type PersonalDataExport = {
  format: "keyledger-personal-data-v1";
  generatedAt: string;
  accountId: string;
  /** Rows per table, keyed "table.column" by the column that refers to the person. */
  records: Record<string, Record<string, unknown>[]>;
  guestOrders: Record<string, unknown>[];
  ledgerAccounts: Record<string, unknown>[];
  omitted: string;
};

export async function exportPersonalData(db: Drizzle, accountId: bigint): Promise<PersonalDataExport> {
  const account = await queryOne<{ email: string; email_confirmed_at: Date | null }>(
    db,
    sql`SELECT email, email_confirmed_at FROM accounts WHERE id = ${accountId}`,
  );
  if (!account) throw new AppError("not_found", `No account ${accountId}.`);
  const records: Record<string, Record<string, unknown>[]> = {};
  const references = [{ table: "accounts", column: "id" }, ...(await accountReferences(db))];
  for (const reference of references) {
    const columns = await exportableColumns(db, reference.table);
    const rows = await queryRows<{ row: Record<string, unknown> }>(
      db,
      sql`SELECT jsonb_build_object(${sql.join(
        columns.map((column) => sql`${column}::text, t.${sql.identifier(column)}`),
        sql`, `,
      )}) AS row FROM ${sql.identifier(reference.table)} t WHERE t.${sql.identifier(reference.column)} = ${accountId} LIMIT ${rowsPerTableMax}`,
    );
    if (rows.length > 0) records[`${reference.table}.${reference.column}`] = rows.map((row) => row.row);
  }
  const orderColumns = await exportableColumns(db, "orders");
  // Guest orders under the email are the person's only once they proved the email is theirs: an
  // account signed up with someone else's address gets none of that person's guest orders.
  const guestOrders = await queryRows<{ row: Record<string, unknown> }>(
    db,
    sql`SELECT jsonb_build_object(${sql.join(
      orderColumns.map((column) => sql`${column}::text, o.${sql.identifier(column)}`),
      sql`, `,
    )}) AS row FROM orders o WHERE o.buyer_account_id IS NULL AND lower(o.contact) = ${account.email}
          AND ${account.email_confirmed_at !== null} LIMIT ${rowsPerTableMax}`,
  );
  const ledgerAccounts = await queryRows<{ row: Record<string, unknown> }>(
    db,
    sql`SELECT jsonb_build_object('id', id::text, 'ownerType', owner_type, 'purpose', purpose, 'currency', currency, 'balanceMinor', balance_minor::text) AS row
        FROM ledger_accounts WHERE owner_type IN ('buyer', 'reseller') AND owner_id = ${accountId} ORDER BY id`,
  );
  return {
    format: "keyledger-personal-data-v1",
    generatedAt: new Date().toISOString(),
    accountId: accountId.toString(),
    records,
    guestOrders: guestOrders.map((row) => row.row),
    ledgerAccounts: ledgerAccounts.map((row) => row.row),
    omitted:
      "Password and token hashes, second-factor secrets and every encrypted value (key codes, KYC details and documents, attachments) are not exported: codes are shown on the order page, KYC details to their reviewers.",
  };
}

// ---- Erasure -------------------------------------------------------------------------------------

/** Tables whose rows exist only for the person's sign-in and security: deleted outright. */
const credentialTables = [
  "sessions",
  "account_totp",
  "recovery_codes",
  "passkeys",
  "webauthn_challenges",
  "password_reset_tokens",
  "email_confirmations",
  "login_history",
  "siwe_nonces",
  "wallet_links",
];

export type ErasureSummary = Record<string, number>;

/**
 * Why the person cannot be erased now, or undefined. Read under the account's row lock: opening a
 * dispute or placing a legal hold after this check waits for the erasure or finds it done.
 */
async function erasureObstacle(db: Drizzle, accountId: bigint): Promise<{ reason: string; message: string; id: string } | undefined> {
  const hold = await queryOne<{ id: string; reason: string }>(
    db,
    sql`SELECT id::text, reason FROM legal_holds WHERE account_id = ${accountId} AND released_at IS NULL ORDER BY id LIMIT 1`,
  );
  if (hold) return { reason: "legal_hold", id: hold.id, message: `A legal hold (${hold.id}) is open on this account: ${hold.reason}` };
  const dispute = await queryOne<{ id: string }>(
    db,
    sql`SELECT d.id::text FROM disputes d JOIN orders o ON o.id = d.order_id JOIN shops s ON s.id = d.shop_id
        WHERE (o.buyer_account_id = ${accountId} OR d.opened_by_account_id = ${accountId} OR s.owner_account_id = ${accountId})
          AND (d.state IN ('open', 'escalated') OR (d.state = 'rejected' AND d.escalation_deadline > now()))
        ORDER BY d.id LIMIT 1`,
  );
  if (dispute) return { reason: "dispute_open", id: dispute.id, message: `Dispute ${dispute.id} on an order of this account is still open` };
  return undefined;
}

/**
 * Erases a person, once (a second call answers the first's summary). Refused with erasure_refused
 * (409, details.reason legal_hold or dispute_open) and nothing written while an obstacle is open.
 */
export async function erasePerson(
  db: Drizzle,
  ring: MasterKeyRing,
  parameters: { accountId: bigint; actorId: bigint },
): Promise<{ erasedAt: string; summary: ErasureSummary }> {
  const { accountId } = parameters;
  const shopsOwned: bigint[] = [];
  const buyerKeysDestroyed: { data_key_wrapped: Buffer; master_key_id: string }[] = [];
  const result = await db.transaction(async (tx) => {
    const account = await queryOne<{ email: string; email_confirmed_at: Date | null; erased_at: Date | string | null }>(
      tx,
      sql`SELECT email, email_confirmed_at, erased_at FROM accounts WHERE id = ${accountId} FOR UPDATE`,
    );
    if (!account) throw new AppError("not_found", `No account ${accountId}.`);
    if (account.erased_at) {
      const done = await queryOne<{ erased_at: Date | string; summary: ErasureSummary }>(
        tx,
        sql`SELECT erased_at, summary FROM data_erasures WHERE account_id = ${accountId}`,
      );
      return { erasedAt: new Date(done!.erased_at).toISOString(), summary: done!.summary };
    }
    const obstacle = await erasureObstacle(tx, accountId);
    if (obstacle) {
      throw new AppError("erasure_refused", `${obstacle.message}. Erasure is possible once it is closed.`, {
        details: { reason: obstacle.reason, id: obstacle.id },
      });
    }
    const summary: ErasureSummary = {};
    const count = (name: string, rows: unknown[]) => {
      summary[name] = (summary[name] ?? 0) + rows.length;
    };
    // Guest orders under the email go with the person only once they proved the email is theirs
    // (as the export): an account signed up with a buyer's address must not erase that buyer's codes.
    const guestEmail = account.email_confirmed_at === null ? null : account.email;

    // Key secrets delivered to the person. Those re-sealed under their own data key at delivery
    // (api/keys/buyerSeal.ts) are crypto-shredded by deleting that key, after the ones now held
    // by someone else (resold, moved) went back under their shop's key. Those still under the
    // shop's key (not re-sealed yet) and still theirs are overwritten with zeros of the same
    // length: the authenticated encryption then opens under no key. Guest orders under their email
    // lose their own data keys (shredGuestOrders.ts).
    summary.transferredKeysResealed = await resealTransferredKeys(tx, ring, accountId);
    count("deliveredKeysCryptoShredded", await queryRows(tx, sql`SELECT k.id FROM keys k WHERE k.sealed_for_account_id = ${accountId}`));
    const buyerKey = await queryOne<{ data_key_wrapped: Buffer; master_key_id: string }>(
      tx,
      sql`DELETE FROM account_data_keys WHERE account_id = ${accountId} RETURNING data_key_wrapped, master_key_id`,
    );
    if (buyerKey) buyerKeysDestroyed.push(buyerKey);
    count(
      "deliveredKeysShredded",
      await queryRows(
        tx,
        sql`UPDATE keys k SET ciphertext = decode(repeat('00', octet_length(k.ciphertext)), 'hex')
            FROM entitlements e JOIN orders o ON o.id = e.order_id
            WHERE e.key_id = k.id AND k.sealed_for_account_id IS NULL AND o.buyer_account_id = ${accountId}
              AND (e.owner_account_id = ${accountId} OR (e.owner_account_id IS NULL AND e.owner_wallet IS NULL))
            RETURNING k.id`,
      ),
    );
    // Guest orders placed under their email: each order's own data key goes (api/keys/buyerSeal.ts).
    if (guestEmail !== null) {
      const guestOrders = await shredGuestOrders(tx, sql`lower(o.contact) = ${guestEmail}`);
      summary.guestKeysCryptoShredded = guestOrders.cryptoShredded;
      summary.deliveredKeysShredded = (summary.deliveredKeysShredded ?? 0) + guestOrders.overwritten;
      buyerKeysDestroyed.push(...guestOrders.destroyedKeys);
    }
    for (const table of credentialTables) {
      count(table, await queryRows(tx, sql`DELETE FROM ${sql.identifier(table)} WHERE account_id = ${accountId} RETURNING 1`));
    }
    count("apiKeysRevoked", await queryRows(tx, sql`UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE account_id = ${accountId} RETURNING 1`));
    // Orders stay (the journal and the chain refer to them); their contact goes.
    count(
      "ordersContactErased",
      await queryRows(tx, sql`UPDATE orders SET contact = NULL WHERE buyer_account_id = ${accountId} AND contact IS NOT NULL RETURNING 1`),
    );
    count(
      "guestOrdersPseudonymised",
      await queryRows(
        tx,
        sql`UPDATE orders SET contact = 'erased', query_password_hash = '\\x00'::bytea
            WHERE buyer_account_id IS NULL AND lower(contact) = ${guestEmail} AND ${guestEmail !== null} RETURNING 1`,
      ),
    );
    // What they wrote: the text goes, the row (and its place in a conversation or a dispute) stays.
    count("ticketMessages", await queryRows(tx, sql`UPDATE support_ticket_messages SET body = '[erased]' WHERE author_account_id = ${accountId} RETURNING 1`));
    count("ticketSubjects", await queryRows(tx, sql`UPDATE support_tickets SET subject = '[erased]' WHERE buyer_account_id = ${accountId} RETURNING 1`));
    count(
      "ticketAttachments",
      await queryRows(
        tx,
        sql`UPDATE support_ticket_attachments a SET ciphertext = '\\x'::bytea, file_name = 'erased'
            FROM support_ticket_messages m WHERE m.id = a.message_id AND m.author_account_id = ${accountId} RETURNING 1`,
      ),
    );
    count("disputeStatements", await queryRows(tx, sql`UPDATE disputes SET statement = '[erased]' WHERE opened_by_account_id = ${accountId} RETURNING 1`));
    count("reviews", await queryRows(tx, sql`UPDATE reviews SET body = '[erased]' WHERE author_account_id = ${accountId} RETURNING 1`));
    count("reviewReplies", await queryRows(tx, sql`UPDATE reviews SET reply_body = '[erased]' WHERE reply_account_id = ${accountId} RETURNING 1`));
    count("reviewReports", await queryRows(tx, sql`UPDATE review_reports SET reason = '[erased]' WHERE reporter_account_id = ${accountId} RETURNING 1`));
    // KYC: the details and documents are removed, and the shop's data key that sealed them is destroyed below.
    count(
      "kycSubmissions",
      await queryRows(
        tx,
        sql`UPDATE kyc_submissions SET details_encrypted = '\\x'::bytea WHERE submitted_by = ${accountId} OR shop_id IN (SELECT id FROM shops WHERE owner_account_id = ${accountId}) RETURNING 1`,
      ),
    );
    count(
      "kycDocuments",
      await queryRows(
        tx,
        sql`UPDATE kyc_documents SET content_encrypted = '\\x'::bytea WHERE submission_id IN
              (SELECT id FROM kyc_submissions WHERE submitted_by = ${accountId} OR shop_id IN (SELECT id FROM shops WHERE owner_account_id = ${accountId})) RETURNING 1`,
      ),
    );
    // Shops they own: the profile that may name them goes, and the shop's data key is destroyed
    // (crypto-shredding): every key, secret and document sealed under it becomes noise at once.
    const shops = await queryRows<{ id: string }>(
      tx,
      sql`UPDATE shops SET name = 'Closed shop ' || id, description = '', description_zh = '', description_en = '', support_contact = NULL,
                           logo = NULL, logo_type = NULL, custom_domain = NULL, domain_token = NULL, domain_verified_at = NULL,
                           epay_gateway_url = NULL, epay_pid = NULL, epay_key_encrypted = NULL,
                           data_key_wrapped = '\\x'::bytea, data_key_destroyed_at = now()
          WHERE owner_account_id = ${accountId} AND data_key_destroyed_at IS NULL RETURNING id::text`,
    );
    for (const shop of shops) shopsOwned.push(BigInt(shop.id));
    count("shopKeysDestroyed", shops);
    count(
      "productsPaused",
      await queryRows(
        tx,
        sql`UPDATE products SET status = 'paused' WHERE shop_id IN (SELECT id FROM shops WHERE owner_account_id = ${accountId}) AND status <> 'paused' RETURNING 1`,
      ),
    );
    await tx.execute(
      sql`UPDATE accounts SET email = ${`erased-${accountId}@erased.invalid`}, display_name = NULL, password_hash = ${`!erased:${randomBytes(16).toString("hex")}`},
                               email_confirmed_at = NULL, erased_at = now() WHERE id = ${accountId}`,
    );
    const erased = await queryOne<{ erased_at: Date | string }>(
      tx,
      sql`INSERT INTO data_erasures (account_id, summary) VALUES (${accountId}, ${JSON.stringify(summary)}::jsonb) RETURNING erased_at`,
    );
    await recordAudit(tx, { accountId: parameters.actorId, action: "data.erased", subject: `account:${accountId}`, details: summary });
    return { erasedAt: new Date(erased!.erased_at).toISOString(), summary };
  });
  // This process's cached copies of the destroyed keys go too (other processes: docs/compliance.md).
  for (const shopId of shopsOwned) forgetShopDataKey(ring, shopId);
  for (const key of buyerKeysDestroyed) forgetDataKey(ring, key.data_key_wrapped, key.master_key_id);
  return result;
}

// ---- Legal holds ---------------------------------------------------------------------------------

export async function placeLegalHold(db: Drizzle, parameters: { accountId: bigint; reason: string; actorId: bigint }): Promise<{ id: string }> {
  const account = await queryOne<{ erased_at: Date | null }>(db, sql`SELECT erased_at FROM accounts WHERE id = ${parameters.accountId} FOR UPDATE`);
  if (!account) throw new AppError("not_found", `No account ${parameters.accountId}.`);
  const row = await queryOne<{ id: string }>(
    db,
    sql`INSERT INTO legal_holds (account_id, reason, placed_by) VALUES (${parameters.accountId}, ${parameters.reason}, ${parameters.actorId}) RETURNING id::text`,
  );
  await recordAudit(db, {
    accountId: parameters.actorId,
    action: "data.legal_hold_placed",
    subject: `account:${parameters.accountId}`,
    details: { holdId: row!.id },
  });
  return row!;
}

export async function releaseLegalHold(db: Drizzle, parameters: { holdId: bigint; actorId: bigint }): Promise<void> {
  const released = await queryRows(
    db,
    sql`UPDATE legal_holds SET released_at = now(), released_by = ${parameters.actorId} WHERE id = ${parameters.holdId} AND released_at IS NULL RETURNING 1`,
  );
  if (released.length === 0) throw new AppError("not_found", `No open legal hold ${parameters.holdId}.`);
  await recordAudit(db, { accountId: parameters.actorId, action: "data.legal_hold_released", subject: `legal_hold:${parameters.holdId}` });
}

// ---- Retention -----------------------------------------------------------------------------------

export type RetentionSettings = { loginHistoryDays: number; unpaidOrderContactDays: number; ticketMessagesDays: number; paidOrderContactDays: number };

/**
 * The retention job (docs/compliance.md, "Retention"), run by the maintenance sweep: removes what
 * is past its period, in bounded batches. `now` is for tests. Answers how many rows each rule touched.
 */
export async function enforceRetention(
  db: Drizzle,
  settings: RetentionSettings,
  options: { now?: Date; limit?: number } = {},
): Promise<Record<string, number>> {
  const now = options.now ? sql`${options.now.toISOString()}::timestamptz` : sql`now()`;
  const limit = options.limit ?? 5_000;
  const days = (n: number) => sql`${now} - make_interval(days => ${n})`;
  const loginHistory = await queryRows(
    db,
    sql`DELETE FROM login_history WHERE id IN (SELECT id FROM login_history WHERE at < ${days(settings.loginHistoryDays)} LIMIT ${limit}) RETURNING 1`,
  );
  const expiredSessions = await queryRows(
    db,
    sql`DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE expires_at < ${now} LIMIT ${limit}) RETURNING 1`,
  );
  const unpaidContacts = await queryRows(
    db,
    sql`UPDATE orders SET contact = 'expired', query_password_hash = '\\x00'::bytea WHERE id IN (
          SELECT id FROM orders WHERE state IN ('expired', 'failed') AND buyer_account_id IS NULL AND contact <> 'expired'
            AND expires_at < ${days(settings.unpaidOrderContactDays)} LIMIT ${limit}) RETURNING 1`,
  );
  const paidContacts = await queryRows(
    db,
    sql`UPDATE orders SET contact = 'expired' WHERE id IN (
          SELECT id FROM orders WHERE state NOT IN ('expired', 'failed', 'awaiting_payment') AND contact IS NOT NULL AND contact NOT IN ('expired', 'erased')
            AND coalesce(paid_at, created_at) < ${days(settings.paidOrderContactDays)} LIMIT ${limit}) RETURNING 1`,
  );
  const ticketMessages = await queryRows(
    db,
    sql`UPDATE support_ticket_messages SET body = '[expired]' WHERE id IN (
          SELECT m.id FROM support_ticket_messages m JOIN support_tickets t ON t.id = m.ticket_id
          WHERE t.closed_at < ${days(settings.ticketMessagesDays)} AND m.body NOT IN ('[expired]', '[erased]') LIMIT ${limit}) RETURNING 1`,
  );
  return {
    loginHistory: loginHistory.length,
    expiredSessions: expiredSessions.length,
    unpaidOrderContacts: unpaidContacts.length,
    paidOrderContacts: paidContacts.length,
    ticketMessages: ticketMessages.length,
  };
}

/** enforceRetention at most once an hour across every worker: the first sweep past the hour takes the turn. */
export async function enforceRetentionHourly(db: Drizzle, settings: RetentionSettings): Promise<Record<string, number> | "not_due"> {
  const turn = await queryRows(
    db,
    sql`UPDATE sweep_cursors SET position = extract(epoch FROM now())::bigint
        WHERE name = 'retention-last-run' AND position <= extract(epoch FROM now())::bigint - 3600 RETURNING 1`,
  );
  if (turn.length === 0) return "not_due";
  return enforceRetention(db, settings);
}
