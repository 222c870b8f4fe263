// Linking a wallet by Sign-In With Ethereum (EIP-4361, viem's helpers). The server issues a
// nonce to the signed-in account (single-use, short-lived); the wallet signs a SIWE message
// carrying it; the server checks the message's domain (ours), chain, nonce and expiry, and the
// signature (verifySiweMessage, which also accepts contract wallets through the chain), then
// consumes the nonce and links the address to the account. An address belongs to one account.
import { generateSiweNonce, parseSiweMessage, verifySiweMessage } from "viem/siwe";
import type { Hex } from "viem";
import type { ChainContext } from "../../chain/chainContext.ts";
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { recordAudit } from "../audit.ts";

export async function issueSiweNonce(db: Drizzle, parameters: { accountId: bigint; ttlSeconds: number }): Promise<{ nonce: string; expiresAt: string }> {
  const nonce = generateSiweNonce();
  const row = await queryOne<{ expires_at: Date }>(
    db,
    sql`INSERT INTO siwe_nonces (nonce, account_id, expires_at) VALUES (${nonce}, ${parameters.accountId}, now() + make_interval(secs => ${parameters.ttlSeconds}))
        RETURNING expires_at`,
  );
  return { nonce, expiresAt: new Date(row!.expires_at).toISOString() };
}

export async function linkWallet(
  db: Drizzle,
  chain: ChainContext,
  parameters: { accountId: bigint; message: string; signature: Hex; domain: string },
): Promise<{ address: string; linkedAt: string }> {
  const fields = parseSiweMessage(parameters.message);
  if (!fields.address || !fields.nonce || !fields.domain) throw new AppError("validation_failed", "The SIWE message lacks an address, a nonce or a domain.");
  if (fields.domain !== parameters.domain) throw new AppError("invalid_signature", `The SIWE message is for ${fields.domain}, not ${parameters.domain}.`);
  if (fields.chainId !== Number(chain.chainId))
    throw new AppError("invalid_signature", `The SIWE message is for chain ${fields.chainId}, not ${chain.chainId}.`);
  if (!fields.expirationTime) throw new AppError("validation_failed", "The SIWE message must carry an expiration time.");
  const valid = await verifySiweMessage(chain.publicClient, {
    message: parameters.message,
    signature: parameters.signature,
    domain: parameters.domain,
    nonce: fields.nonce,
    time: new Date(),
  });
  if (!valid) throw new AppError("invalid_signature", "The SIWE signature does not verify, or the message is expired or not yet valid.");
  const address = fields.address.toLowerCase();
  return db.transaction(async (tx) => {
    const used = await queryOne<{ nonce: string }>(
      tx,
      sql`UPDATE siwe_nonces SET used_at = now() WHERE nonce = ${fields.nonce} AND account_id = ${parameters.accountId} AND used_at IS NULL AND expires_at > now()
          RETURNING nonce`,
    );
    if (!used)
      throw new AppError("invalid_signature", "The SIWE nonce is unknown, was issued to another account, was used already or expired. Ask for a new one.");
    const link = await queryOne<{ account_id: bigint; linked_at: Date }>(
      tx,
      sql`INSERT INTO wallet_links (address, account_id) VALUES (${address}, ${parameters.accountId})
          ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address RETURNING account_id, linked_at`,
    );
    if (BigInt(link!.account_id) !== parameters.accountId) throw new AppError("conflict", "This wallet is linked to another account.");
    await recordAudit(tx, { accountId: parameters.accountId, action: "wallet.link", subject: `wallet:${address}` });
    return { address, linkedAt: new Date(link!.linked_at).toISOString() };
  });
}
