// The holder of a token in a wallet reveals its code with an EIP-712 signature (revealTypes):
// the platform checks the deadline (not past, not further ahead than the configured maximum),
// the signature (verifyTypedData: EOAs and contract wallets), that the signer holds the token
// on-chain now (ownerOf: a previous holder's signature is refused) and its state (not revoked;
// not locked unless this holder revealed it before), consumes the nonce (single-use per
// signer), marks the entitlement redeemed (the chain worker records it, which locks the token)
// and returns the code to this caller only.
import type { Hex } from "viem";
import { entitlementTokenAbi } from "../../../core/chain/abis.ts";
import type { ChainContext } from "../../chain/chainContext.ts";
import { AppError } from "../../../core/errors.ts";
import type { MasterKeyRing } from "../../keys/masterKeys.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { readEntitlementCode, readEntitlementSalt } from "../resale/readEntitlementCode.ts";
import { revealAssignments } from "../../../core/store/entitlementStates.ts";
import { revealDomain, revealTypes } from "./revealTypedData.ts";

export type WalletRevealParameters = { holder: Hex; tokenId: bigint; nonce: bigint; deadline: bigint; signature: Hex };

export async function revealByWalletSignature(
  db: Drizzle,
  ring: MasterKeyRing,
  chain: ChainContext,
  settings: { signatureTtlSecondsMax: number },
  parameters: WalletRevealParameters,
): Promise<{ entitlementId: string; tokenId: string; holder: string; code: string; salt: string }> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  if (parameters.deadline < now) throw new AppError("invalid_signature", "The signature's deadline has passed; sign a new one.");
  if (parameters.deadline > now + BigInt(settings.signatureTtlSecondsMax)) {
    throw new AppError("validation_failed", `The deadline may be at most ${settings.signatureTtlSecondsMax} s ahead.`);
  }
  const valid = await chain.publicClient.verifyTypedData({
    address: parameters.holder,
    domain: revealDomain(chain.chainId, chain.addresses.entitlement),
    types: revealTypes,
    primaryType: "Reveal",
    message: { tokenId: parameters.tokenId, nonce: parameters.nonce, deadline: parameters.deadline },
    signature: parameters.signature,
  });
  if (!valid) throw new AppError("invalid_signature", "The signature is not the holder's signature of this reveal message.");
  const read = (functionName: "ownerOf" | "isRevoked" | "locked") =>
    chain.publicClient.readContract({ address: chain.addresses.entitlement, abi: entitlementTokenAbi, functionName, args: [parameters.tokenId] });
  const owner = (await read("ownerOf").catch(() => {
    throw new AppError("not_found", `Token ${parameters.tokenId} does not exist on-chain.`);
  })) as Hex;
  const holder = parameters.holder.toLowerCase();
  if (owner.toLowerCase() !== holder) throw new AppError("forbidden", "The signer does not hold this token on-chain (a previous holder cannot reveal it).");
  if ((await read("isRevoked")) === true) throw new AppError("invalid_state", `Token ${parameters.tokenId} was revoked; its code is no longer available.`);
  const lockedOnChain = (await read("locked")) === true;
  const entitlementId = await db.transaction(async (tx) => {
    const entitlement = await queryOne<{ id: bigint; state: string; revealed_to_holder: boolean }>(
      tx,
      sql`SELECT e.id, e.state, EXISTS (SELECT 1 FROM wallet_reveals r WHERE r.entitlement_id = e.id AND r.signer = ${holder}) AS revealed_to_holder
          FROM entitlements e WHERE e.token_id = ${parameters.tokenId.toString()}::numeric FOR UPDATE`,
    );
    if (!entitlement) throw new AppError("not_found", `No entitlement for token ${parameters.tokenId}.`);
    const again = entitlement.state === "redeemed" && entitlement.revealed_to_holder;
    if (!again && (entitlement.state !== "sealed" || lockedOnChain)) {
      throw new AppError("invalid_state", `Token ${parameters.tokenId} is locked: its code was revealed by an earlier holder.`);
    }
    const fresh = await queryOne<{ signer: string }>(
      tx,
      sql`INSERT INTO wallet_reveals (signer, nonce, entitlement_id) VALUES (${holder}, ${parameters.nonce.toString()}::numeric, ${entitlement.id})
          ON CONFLICT (signer, nonce) DO NOTHING RETURNING signer`,
    );
    if (!fresh) throw new AppError("invalid_signature", "This signature's nonce was used already; sign with a new nonce.");
    if (!again) {
      await tx.execute(
        sql`UPDATE entitlements SET ${sql.raw(revealAssignments)}, owner_wallet = ${holder},
              owner_account_id = (SELECT account_id FROM wallet_links WHERE address = ${holder})
            WHERE id = ${entitlement.id}`,
      );
    }
    return BigInt(entitlement.id);
  });
  // A wallet holder has no custody certificate route: the salt comes with the code, so the code
  // can be checked against the commitment any copy of the (sealed) certificate proves.
  return {
    entitlementId: String(entitlementId),
    tokenId: parameters.tokenId.toString(),
    holder,
    code: await readEntitlementCode(db, ring, entitlementId),
    salt: await readEntitlementSalt(db, entitlementId),
  };
}
