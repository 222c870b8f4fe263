// The browser's device id: a random id kept in localStorage and sent as X-Device-Id on requests
// that change something (checkout, login, sign-up). Risk velocity counts orders per device, and
// a checkout without one scores higher (docs/abuse.md, "Risk rules"). It identifies nothing but
// this browser's storage: clearing it makes a new one.
import { readStored, writeStored } from "../storage.ts";

const storageKey = "keyledger.deviceId";

export function deviceId(): string {
  const known = readStored<string>(storageKey);
  if (typeof known === "string" && /^[0-9a-f-]{36}$/.test(known)) return known;
  const fresh = crypto.randomUUID();
  writeStored(storageKey, fresh);
  return fresh;
}
