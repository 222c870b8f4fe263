// The browser's side of the passkey ceremonies: the server's options go to the platform
// authenticator through @simplewebauthn/browser, and its answer goes back unchanged.
import { startAuthentication, startRegistration } from "@simplewebauthn/browser";
import { answer, type ApiClient } from "../api/client.ts";

export async function addPasskey(api: ApiClient, name: string) {
  const options = await answer(api.POST("/api/account/passkeys/options"));
  const response = await startRegistration({ optionsJSON: options as Parameters<typeof startRegistration>[0]["optionsJSON"] });
  return answer(api.POST("/api/account/passkeys", { body: { name, response: response as never } }));
}

/** A passkey sign-in: as the second factor of `pendingToken`, or on its own without one. */
export async function signInWithPasskey(api: ApiClient, pendingToken?: string) {
  const options = await answer(api.POST("/api/auth/passkey/options", { body: { pendingToken } }));
  const response = await startAuthentication({ optionsJSON: options as Parameters<typeof startAuthentication>[0]["optionsJSON"] });
  return answer(api.POST("/api/auth/passkey", { body: { response: response as never, pendingToken } }));
}
