// KYC (docs/saas.md, "KYC and limits"): a merchant submits identity and business details and
// documents for its shop; reviewers (admins granted the right in kyc_reviewers) approve, reject
// or ask for more, with a reason, kept as history. Details and documents are AES-256-GCM under
// the shop's data key (api/keys/envelope.ts), their associated data binding each to its row;
// a reviewer's every view of them writes an audit row in the same transaction as the read.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { decryptBytes, decryptSecret, encryptSecret } from "../../keys/envelope.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { loadShopDataKey } from "../../keys/shopDataKey.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import { recordAudit } from "../audit.ts";
import type { DocumentType } from "./sniffDocument.ts";

export type KycDetails = {
  legalName: string;
  idNumber: string;
  country: string;
  businessName?: string;
  businessRegistration?: string;
  address: string;
};
export type KycStatus = "pending" | "approved" | "rejected" | "more_requested";
export type KycDecision = "approve" | "reject" | "request_more";
export type KycDocumentKind = "identity" | "business_licence" | "address_proof" | "other";

const detailsAad = (shopId: bigint, submissionId: bigint) => `keyledger/kyc-details/v1|shop=${shopId}|submission=${submissionId}`;
const documentAad = (shopId: bigint, submissionId: bigint, documentId: bigint) =>
  `keyledger/kyc-document/v1|shop=${shopId}|submission=${submissionId}|document=${documentId}`;

export type KycSummary = {
  id: string;
  shopId: string;
  shopSlug: string;
  levelRequested: "verified" | "business";
  status: KycStatus;
  documents: { id: string; kind: KycDocumentKind; contentType: DocumentType; sizeBytes: number; createdAt: string }[];
  decisions: { decision: KycDecision; reason: string; createdAt: string }[];
  createdAt: string;
  decidedAt: string | null;
};

type SubmissionRow = {
  id: bigint;
  shop_id: bigint;
  slug: string;
  level_requested: "verified" | "business";
  status: KycStatus;
  created_at: Date;
  decided_at: Date | null;
};

async function summaries(db: Drizzle, rows: SubmissionRow[]): Promise<KycSummary[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => BigInt(row.id));
  const idList = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  const documents = await queryRows<{
    id: bigint;
    submission_id: bigint;
    kind: KycDocumentKind;
    content_type: DocumentType;
    size_bytes: number;
    created_at: Date;
  }>(db, sql`SELECT id, submission_id, kind, content_type, size_bytes, created_at FROM kyc_documents WHERE submission_id IN (${idList}) ORDER BY id`);
  const decisions = await queryRows<{ submission_id: bigint; decision: KycDecision; reason: string; created_at: Date }>(
    db,
    sql`SELECT submission_id, decision, reason, created_at FROM kyc_decisions WHERE submission_id IN (${idList}) ORDER BY id`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    shopId: String(row.shop_id),
    shopSlug: row.slug,
    levelRequested: row.level_requested,
    status: row.status,
    documents: documents
      .filter((document) => BigInt(document.submission_id) === BigInt(row.id))
      .map((document) => ({
        id: String(document.id),
        kind: document.kind,
        contentType: document.content_type,
        sizeBytes: Number(document.size_bytes),
        createdAt: new Date(document.created_at).toISOString(),
      })),
    decisions: decisions
      .filter((decision) => BigInt(decision.submission_id) === BigInt(row.id))
      .map((decision) => ({ decision: decision.decision, reason: decision.reason, createdAt: new Date(decision.created_at).toISOString() })),
    createdAt: new Date(row.created_at).toISOString(),
    decidedAt: row.decided_at ? new Date(row.decided_at).toISOString() : null,
  }));
}

const submissionColumns = sql`k.id, k.shop_id, s.slug, k.level_requested, k.status, k.created_at, k.decided_at`;

export async function submitKyc(
  db: Drizzle,
  ring: MasterKeyRing,
  input: { shopId: bigint; accountId: bigint; levelRequested: "verified" | "business"; details: KycDetails },
): Promise<KycSummary> {
  const dataKey = await loadShopDataKey(db, ring, input.shopId);
  try {
    return await insertSubmission(db, dataKey, input);
  } catch (error) {
    // Two submissions at once: the partial unique index lets one in; the other is told as if it came second.
    if (pgErrorCode(error) === pgErrorCodes.uniqueViolation && pgConstraint(error) === "kyc_submissions_one_open") {
      throw new AppError("kyc_already_open", "This shop has a submission under review. Add documents to it, or wait for its decision.");
    }
    throw error;
  }
}

async function insertSubmission(
  db: Drizzle,
  dataKey: Buffer,
  input: { shopId: bigint; accountId: bigint; levelRequested: "verified" | "business"; details: KycDetails },
): Promise<KycSummary> {
  return db.transaction(async (tx) => {
    const open = await queryOne<{ id: bigint }>(
      tx,
      sql`SELECT id FROM kyc_submissions WHERE shop_id = ${input.shopId} AND status IN ('pending', 'more_requested')`,
    );
    if (open) {
      throw new AppError("kyc_already_open", `This shop has a submission under review (${open.id}). Add documents to it, or wait for its decision.`, {
        details: { submissionId: String(open.id) },
      });
    }
    const next = await queryOne<{ id: bigint }>(tx, sql`SELECT nextval('kyc_submissions_id_seq') AS id`);
    const id = BigInt(next!.id);
    const encrypted = encryptSecret(dataKey, JSON.stringify(input.details), detailsAad(input.shopId, id));
    await tx.execute(
      sql`INSERT INTO kyc_submissions (id, shop_id, submitted_by, level_requested, details_encrypted)
          VALUES (${id}, ${input.shopId}, ${input.accountId}, ${input.levelRequested}, ${encrypted})`,
    );
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "kyc.submitted",
      subject: `kyc:${id}`,
      details: { shopId: String(input.shopId), levelRequested: input.levelRequested },
    });
    return (await listShopKyc(tx, input.shopId))[0]!;
  });
}

/** The shop's submissions, newest first (the merchant's view: statuses, documents' types, decisions and their reasons; never the details). */
export async function listShopKyc(db: Drizzle, shopId: bigint): Promise<KycSummary[]> {
  const rows = await queryRows<SubmissionRow>(
    db,
    sql`SELECT ${submissionColumns} FROM kyc_submissions k JOIN shops s ON s.id = k.shop_id WHERE k.shop_id = ${shopId} ORDER BY k.id DESC`,
  );
  return summaries(db, rows);
}

/** Adds a document to the shop's open submission; a `more_requested` one goes back to the queue. */
export async function addKycDocument(
  db: Drizzle,
  ring: MasterKeyRing,
  input: { shopId: bigint; submissionId: bigint; accountId: bigint; kind: KycDocumentKind; contentType: DocumentType; bytes: Buffer; perSubmissionMax: number },
): Promise<KycSummary> {
  const dataKey = await loadShopDataKey(db, ring, input.shopId);
  return db.transaction(async (tx) => {
    const submission = await queryOne<{ status: KycStatus; documents: string }>(
      tx,
      sql`SELECT status, (SELECT count(*) FROM kyc_documents WHERE submission_id = k.id) AS documents
          FROM kyc_submissions k WHERE id = ${input.submissionId} AND shop_id = ${input.shopId} FOR UPDATE`,
    );
    if (!submission) throw new AppError("not_found", `No submission ${input.submissionId} for this shop.`);
    if (submission.status !== "pending" && submission.status !== "more_requested") {
      throw new AppError("invalid_state", `Submission ${input.submissionId} is ${submission.status}; start a new one to send more documents.`);
    }
    if (Number(submission.documents) >= input.perSubmissionMax) {
      throw new AppError("invalid_state", `A submission holds at most ${input.perSubmissionMax} documents.`);
    }
    const next = await queryOne<{ id: bigint }>(tx, sql`SELECT nextval('kyc_documents_id_seq') AS id`);
    const id = BigInt(next!.id);
    const encrypted = encryptSecret(dataKey, input.bytes, documentAad(input.shopId, input.submissionId, id));
    await tx.execute(
      sql`INSERT INTO kyc_documents (id, submission_id, kind, content_type, size_bytes, content_encrypted)
          VALUES (${id}, ${input.submissionId}, ${input.kind}, ${input.contentType}, ${input.bytes.length}, ${encrypted})`,
    );
    await tx.execute(sql`UPDATE kyc_submissions SET status = 'pending' WHERE id = ${input.submissionId} AND status = 'more_requested'`);
    await recordAudit(tx, {
      accountId: input.accountId,
      action: "kyc.document_added",
      subject: `kyc:${input.submissionId}`,
      details: { documentId: String(id), kind: input.kind },
    });
    return (
      await summaries(
        tx,
        await queryRows<SubmissionRow>(
          tx,
          sql`SELECT ${submissionColumns} FROM kyc_submissions k JOIN shops s ON s.id = k.shop_id WHERE k.id = ${input.submissionId}`,
        ),
      )
    )[0]!;
  });
}

/** Refuses anyone but an admin granted the reviewer right (403). */
export async function assertKycReviewer(db: Drizzle, accountId: bigint): Promise<void> {
  const row = await queryOne<{ account_id: bigint }>(db, sql`SELECT account_id FROM kyc_reviewers WHERE account_id = ${accountId}`);
  if (!row)
    throw new AppError(
      "forbidden",
      "Only admins with the KYC reviewer right see or decide submissions. An admin grants it (PUT /api/admin/kyc-reviewers/{accountId}).",
    );
}

export async function grantKycReviewer(tx: Drizzle, accountId: bigint, grantedBy: bigint): Promise<void> {
  const account = await queryOne<{ id: bigint }>(tx, sql`SELECT id FROM accounts WHERE id = ${accountId} AND 'admin' = ANY(roles)`);
  if (!account) throw new AppError("not_found", `No admin account ${accountId}: the reviewer right is given to admins only.`);
  await tx.execute(sql`INSERT INTO kyc_reviewers (account_id, granted_by) VALUES (${accountId}, ${grantedBy}) ON CONFLICT (account_id) DO NOTHING`);
}

/** The review queue: submissions of a status, oldest first (no details: those are read one at a time, audited). */
export async function listKycQueue(db: Drizzle, options: { status: KycStatus; afterId?: bigint; limit: number }): Promise<KycSummary[]> {
  const rows = await queryRows<SubmissionRow>(
    db,
    sql`SELECT ${submissionColumns} FROM kyc_submissions k JOIN shops s ON s.id = k.shop_id
        WHERE k.status = ${options.status} ${options.afterId === undefined ? sql`` : sql`AND k.id > ${options.afterId}`}
        ORDER BY k.id LIMIT ${options.limit}`,
  );
  return summaries(db, rows);
}

/** A reviewer reads a submission's details (decrypted); the read and its audit row share a transaction. */
export async function viewKycSubmission(
  db: Drizzle,
  ring: MasterKeyRing,
  submissionId: bigint,
  reviewerId: bigint,
): Promise<KycSummary & { details: KycDetails }> {
  return db.transaction(async (tx) => {
    const row = await queryOne<SubmissionRow & { details_encrypted: Buffer }>(
      tx,
      sql`SELECT ${submissionColumns}, k.details_encrypted FROM kyc_submissions k JOIN shops s ON s.id = k.shop_id WHERE k.id = ${submissionId}`,
    );
    if (!row) throw new AppError("not_found", `No submission ${submissionId}.`);
    const shopId = BigInt(row.shop_id);
    const dataKey = await loadShopDataKey(tx, ring, shopId);
    const details = JSON.parse(decryptSecret(dataKey, row.details_encrypted, detailsAad(shopId, submissionId))) as KycDetails;
    await recordAudit(tx, { accountId: reviewerId, action: "kyc.viewed", subject: `kyc:${submissionId}` });
    return { ...(await summaries(tx, [row]))[0]!, details };
  });
}

/** A reviewer opens a document (decrypted); audited in the same transaction. */
export async function readKycDocument(
  db: Drizzle,
  ring: MasterKeyRing,
  input: { submissionId: bigint; documentId: bigint; reviewerId: bigint },
): Promise<{ contentType: DocumentType; bytes: Buffer }> {
  return db.transaction(async (tx) => {
    const row = await queryOne<{ shop_id: bigint; content_type: DocumentType; content_encrypted: Buffer }>(
      tx,
      sql`SELECT k.shop_id, d.content_type, d.content_encrypted FROM kyc_documents d JOIN kyc_submissions k ON k.id = d.submission_id
          WHERE d.id = ${input.documentId} AND d.submission_id = ${input.submissionId}`,
    );
    if (!row) throw new AppError("not_found", `No document ${input.documentId} in submission ${input.submissionId}.`);
    const shopId = BigInt(row.shop_id);
    const dataKey = await loadShopDataKey(tx, ring, shopId);
    const bytes = decryptBytes(dataKey, row.content_encrypted, documentAad(shopId, input.submissionId, input.documentId));
    await recordAudit(tx, {
      accountId: input.reviewerId,
      action: "kyc.document_viewed",
      subject: `kyc:${input.submissionId}`,
      details: { documentId: String(input.documentId) },
    });
    return { contentType: row.content_type, bytes };
  });
}

/** A reviewer's decision on a pending submission (in the caller's audited transaction). Approval raises the shop's level. */
export async function decideKyc(tx: Drizzle, input: { submissionId: bigint; reviewerId: bigint; decision: KycDecision; reason: string }): Promise<KycSummary> {
  const row = await queryOne<{ shop_id: bigint; status: KycStatus; level_requested: string }>(
    tx,
    sql`SELECT shop_id, status, level_requested FROM kyc_submissions WHERE id = ${input.submissionId} FOR UPDATE`,
  );
  if (!row) throw new AppError("not_found", `No submission ${input.submissionId}.`);
  if (row.status !== "pending") {
    throw new AppError("invalid_state", `Submission ${input.submissionId} is ${row.status}: only a pending submission is decided.`, {
      details: { status: row.status },
    });
  }
  const status: KycStatus = input.decision === "approve" ? "approved" : input.decision === "reject" ? "rejected" : "more_requested";
  await tx.execute(
    sql`UPDATE kyc_submissions SET status = ${status}, decided_at = ${status === "more_requested" ? null : sql`now()`} WHERE id = ${input.submissionId}`,
  );
  await tx.execute(
    sql`INSERT INTO kyc_decisions (submission_id, reviewer_id, decision, reason) VALUES (${input.submissionId}, ${input.reviewerId}, ${input.decision}, ${input.reason})`,
  );
  if (input.decision === "approve") await tx.execute(sql`UPDATE shops SET verification_level = ${row.level_requested} WHERE id = ${row.shop_id}`);
  return (
    await summaries(
      tx,
      await queryRows<SubmissionRow>(
        tx,
        sql`SELECT ${submissionColumns} FROM kyc_submissions k JOIN shops s ON s.id = k.shop_id WHERE k.id = ${input.submissionId}`,
      ),
    )
  )[0]!;
}

/**
 * The seller name a receipt shows (docs/saas.md, "Receipts and tax"): for a verified shop, the
 * legal name (a business shop: its business name when given) of its latest approved submission;
 * undefined for an unverified shop. Not audited as a review view: a receipt publishes only this
 * name, which the seller gives in order to have it shown.
 */
export async function verifiedSellerName(db: Drizzle, ring: MasterKeyRing, shopId: bigint): Promise<string | undefined> {
  const row = await queryOne<{ id: bigint; level_requested: string; details_encrypted: Buffer }>(
    db,
    sql`SELECT k.id, k.level_requested, k.details_encrypted FROM kyc_submissions k JOIN shops s ON s.id = k.shop_id
        WHERE k.shop_id = ${shopId} AND k.status = 'approved' AND s.verification_level <> 'unverified'
        ORDER BY k.decided_at DESC, k.id DESC LIMIT 1`,
  );
  if (!row) return undefined;
  const dataKey = await loadShopDataKey(db, ring, shopId);
  const details = JSON.parse(decryptSecret(dataKey, row.details_encrypted, detailsAad(shopId, BigInt(row.id)))) as KycDetails;
  return row.level_requested === "business" && details.businessName ? details.businessName : details.legalName;
}
