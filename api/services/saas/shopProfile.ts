// A shop's profile (docs/saas.md, "Onboarding"): colour, descriptions in zh-CN and en, support
// contact, a logo checked by content, and an optional custom domain proved by a DNS TXT record.
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { pgConstraint, pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import type { DocumentType } from "./sniffDocument.ts";

export type ShopProfile = {
  shopId: string;
  colour: string | null;
  descriptionZh: string;
  descriptionEn: string;
  supportContact: string | null;
  hasLogo: boolean;
  plan: string;
  verificationLevel: "unverified" | "verified" | "business";
  customDomain: string | null;
  /** The TXT value to publish at _keyledger.<domain> (shown to the shop's merchant only). */
  domainTxtName: string | null;
  domainTxtValue: string | null;
  domainVerifiedAt: string | null;
};

type ProfileRow = {
  id: bigint;
  colour: string | null;
  description_zh: string;
  description_en: string;
  support_contact: string | null;
  has_logo: boolean;
  plan_code: string;
  verification_level: ShopProfile["verificationLevel"];
  custom_domain: string | null;
  domain_token: string | null;
  domain_verified_at: Date | null;
};

const profileColumns = sql`id, colour, description_zh, description_en, support_contact, logo IS NOT NULL AS has_logo, plan_code, verification_level,
  custom_domain, domain_token, domain_verified_at`;

/** The TXT record's name and value for a domain claim. */
export const domainTxtName = (domain: string) => `_keyledger.${domain}`;
const domainTxtValue = (token: string) => `keyledger-verify=${token}`;

function profileView(row: ProfileRow): ShopProfile {
  return {
    shopId: String(row.id),
    colour: row.colour,
    descriptionZh: row.description_zh,
    descriptionEn: row.description_en,
    supportContact: row.support_contact,
    hasLogo: row.has_logo,
    plan: row.plan_code,
    verificationLevel: row.verification_level,
    customDomain: row.custom_domain,
    domainTxtName: row.custom_domain ? domainTxtName(row.custom_domain) : null,
    domainTxtValue: row.domain_token ? domainTxtValue(row.domain_token) : null,
    domainVerifiedAt: row.domain_verified_at ? new Date(row.domain_verified_at).toISOString() : null,
  };
}

export async function getShopProfile(db: Drizzle, shopId: bigint): Promise<ShopProfile> {
  const row = await queryOne<ProfileRow>(db, sql`SELECT ${profileColumns} FROM shops WHERE id = ${shopId}`);
  if (!row) throw new AppError("not_found", `No shop ${shopId}.`);
  return profileView(row);
}

export async function updateShopProfile(
  db: Drizzle,
  shopId: bigint,
  changes: { colour?: string | null; descriptionZh?: string; descriptionEn?: string; supportContact?: string | null },
): Promise<ShopProfile> {
  const current = await getShopProfile(db, shopId);
  await db.execute(
    sql`UPDATE shops SET colour = ${changes.colour === undefined ? current.colour : changes.colour},
          description_zh = ${changes.descriptionZh ?? current.descriptionZh}, description_en = ${changes.descriptionEn ?? current.descriptionEn},
          support_contact = ${changes.supportContact === undefined ? current.supportContact : changes.supportContact}
        WHERE id = ${shopId}`,
  );
  return getShopProfile(db, shopId);
}

export async function setShopLogo(db: Drizzle, shopId: bigint, logo: { contentType: DocumentType; bytes: Buffer }): Promise<ShopProfile> {
  await db.execute(sql`UPDATE shops SET logo = ${logo.bytes}, logo_type = ${logo.contentType} WHERE id = ${shopId}`);
  return getShopProfile(db, shopId);
}

/** Removes the shop's logo (the storefront shows its initial again); no logo: the same answer. */
export async function removeShopLogo(db: Drizzle, shopId: bigint): Promise<ShopProfile> {
  await db.execute(sql`UPDATE shops SET logo = NULL, logo_type = NULL WHERE id = ${shopId}`);
  return getShopProfile(db, shopId);
}

export async function readShopLogo(db: Drizzle, shopId: bigint): Promise<{ contentType: string; bytes: Buffer }> {
  const row = await queryOne<{ logo: Buffer | null; logo_type: string | null }>(db, sql`SELECT logo, logo_type FROM shops WHERE id = ${shopId}`);
  if (!row?.logo || !row.logo_type) throw new AppError("not_found", `Shop ${shopId} has no logo.`);
  return { contentType: row.logo_type, bytes: Buffer.from(row.logo) };
}

/** Claims a host name for the shop (unproved until its TXT record is checked); a name another shop holds: 409 domain_taken. */
export async function claimShopDomain(db: Drizzle, shopId: bigint, domain: string): Promise<ShopProfile> {
  const token = randomBytes(16).toString("hex");
  try {
    await db.execute(sql`UPDATE shops SET custom_domain = ${domain}, domain_token = ${token}, domain_verified_at = NULL WHERE id = ${shopId}`);
  } catch (error) {
    if (pgErrorCode(error) === pgErrorCodes.uniqueViolation && pgConstraint(error) === "shops_custom_domain_key") {
      throw new AppError("domain_taken", `The domain ${domain} is claimed by another shop. Use another host name.`);
    }
    throw error;
  }
  return getShopProfile(db, shopId);
}

export async function removeShopDomain(db: Drizzle, shopId: bigint): Promise<ShopProfile> {
  await db.execute(sql`UPDATE shops SET custom_domain = NULL, domain_token = NULL, domain_verified_at = NULL WHERE id = ${shopId}`);
  return getShopProfile(db, shopId);
}

/** A resolver on the configured servers (DNS_SERVERS; empty: the system's), with a short timeout. */
export function domainResolver(servers: readonly string[]): Resolver {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return resolver;
}

/** Looks up _keyledger.<domain> TXT and marks the domain proved when one record is the shop's value; else 422 domain_unproved. */
export async function verifyShopDomain(db: Drizzle, resolver: Resolver, shopId: bigint): Promise<ShopProfile> {
  const profile = await getShopProfile(db, shopId);
  if (!profile.customDomain || !profile.domainTxtValue) throw new AppError("invalid_state", "Claim a domain first (PUT /api/shops/{shopId}/domain).");
  let records: string[][] = [];
  try {
    records = await resolver.resolveTxt(domainTxtName(profile.customDomain));
  } catch (error) {
    const code = (error as { code?: string }).code ?? "error";
    throw new AppError(
      "domain_unproved",
      `No TXT record found at ${profile.domainTxtName} (${code}). Publish "${profile.domainTxtValue}" there, wait for DNS, then try again.`,
      {
        details: { name: profile.domainTxtName, expected: profile.domainTxtValue, lookup: code },
      },
    );
  }
  // A TXT record may be split into strings of at most 255 bytes: each record's strings join.
  if (!records.some((strings) => strings.join("") === profile.domainTxtValue)) {
    throw new AppError(
      "domain_unproved",
      `The TXT records at ${profile.domainTxtName} do not include "${profile.domainTxtValue}". Publish it, wait for DNS, then try again.`,
      {
        details: { name: profile.domainTxtName, expected: profile.domainTxtValue, found: records.length },
      },
    );
  }
  await db.execute(
    sql`UPDATE shops SET domain_verified_at = now() WHERE id = ${shopId} AND domain_token = ${profile.domainTxtValue.slice("keyledger-verify=".length)}`,
  );
  return getShopProfile(db, shopId);
}

/** The shop a proved custom domain serves, for the storefront's Host mapping (never for links: those come from PUBLIC_URL). */
export async function shopSlugForHost(db: Drizzle, host: string): Promise<string | undefined> {
  const name = host.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const row = await queryOne<{ slug: string }>(db, sql`SELECT slug FROM shops WHERE custom_domain = ${name} AND domain_verified_at IS NOT NULL`);
  return row?.slug;
}
