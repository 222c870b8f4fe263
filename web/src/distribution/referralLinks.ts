// ?ref=CODE links (docs/distribution.md, "Referrals"): a product, shop or sub-store page opened
// with ?ref= remembers the code for that shop in localStorage and attaches the buyer to its owner
// (POST /api/shops/{shopId}/referrals) as soon as someone is signed in: at once, or after
// signing in (PendingReferrals, mounted once in the shell, attaches what is pending whenever the
// account changes). First touch is the API's rule; here the first code seen per shop is kept
// until it is attached or refused, so a later link cannot replace it before sign-in either.
import { useEffect } from "react";
import { ApiError, answer, type ApiClient } from "../api/client.ts";
import { useRouter } from "../router.tsx";
import { useSession } from "../session.tsx";
import { readStored, writeStored } from "../storage.ts";

const storageKey = "keyledger.pendingReferrals";
/** The API's shape of a code (10 characters of Crockford base32); anything else is not kept. */
const codePattern = /^[0-9A-Za-z]{10}$/;

type PendingReferral = { shopId: string; code: string };

function pending(): PendingReferral[] {
  const stored = readStored<PendingReferral[]>(storageKey);
  return Array.isArray(stored) ? stored.filter((entry) => typeof entry?.shopId === "string" && codePattern.test(entry?.code ?? "")) : [];
}

export function rememberReferral(shopId: string, code: string): void {
  if (!codePattern.test(code)) return;
  const entries = pending();
  if (entries.some((entry) => entry.shopId === shopId)) return;
  writeStored(storageKey, [...entries, { shopId, code }]);
}

/** Attaches every pending referral; one the API answered (attached, already attached, refused) is forgotten, a network failure kept. */
export async function attachPendingReferrals(api: ApiClient): Promise<void> {
  for (const entry of pending()) {
    try {
      await answer(api.POST("/api/shops/{shopId}/referrals", { params: { path: { shopId: entry.shopId } }, body: { code: entry.code } }));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) continue;
    }
    writeStored(
      storageKey,
      pending().filter((kept) => kept.shopId !== entry.shopId),
    );
  }
}

/** On a page of `shopId`'s: remembers the URL's ?ref= code and attaches it if someone is signed in. */
export function useReferralLink(shopId: string | undefined): void {
  const { search } = useRouter();
  const { api, account } = useSession();
  const code = search.get("ref");
  useEffect(() => {
    if (!shopId || !code) return;
    rememberReferral(shopId, code);
    if (account) void attachPendingReferrals(api);
  }, [api, account, shopId, code]);
}

/** Mounted once in the shell: what was remembered before sign-in is attached once signed in. */
export function PendingReferrals(): null {
  const { api, account } = useSession();
  useEffect(() => {
    if (account) void attachPendingReferrals(api);
  }, [api, account]);
  return null;
}
