// Hands a certificate (and the revealed key, if any) from the order page to the verify page
// through sessionStorage: it never leaves this tab and is removed once read.
import type { Certificate } from "../api/types.ts";

export type VerifyDraft = { certificate?: Certificate; key?: string };
const draftKey = "kl.verifyDraft";

export function saveVerifyDraft(draft: VerifyDraft): void {
  try {
    window.sessionStorage.setItem(draftKey, JSON.stringify(draft));
  } catch {
    // Storage disabled: the verify page simply opens empty.
  }
}

export function takeVerifyDraft(): VerifyDraft | undefined {
  try {
    const raw = window.sessionStorage.getItem(draftKey);
    window.sessionStorage.removeItem(draftKey);
    return raw ? (JSON.parse(raw) as VerifyDraft) : undefined;
  } catch {
    return undefined;
  }
}
