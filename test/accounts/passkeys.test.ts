// Passkeys over real HTTP with a software authenticator (test/support/softAuthenticator.ts,
// node:crypto ES256 and hand-built CBOR): registration, sign-in without a password (user
// verification required), passkey as the second factor, challenges that are single-use,
// expiring and bound to the configured origin and RP ID, and staff roles lifted by a passkey.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { sql } from "../../core/store/database.ts";
import { startTestPlatform, type HttpClient, type TestPlatform } from "../support/platform.ts";
import { assert, attest, newCredential, type CeremonyOptions, type SoftCredential } from "../support/softAuthenticator.ts";
import { enrolTotp } from "../support/staff.ts";

describe("passkeys (WebAuthn)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let relyingParty: CeremonyOptions;

  before(async () => {
    platform = await startTestPlatform();
    // The platform's relying party is its PUBLIC_URL (scripts/lib/platform.ts sets it).
    const url = new URL(platform.url);
    relyingParty = { origin: url.origin, rpId: url.hostname };
  });
  after(async () => {
    await platform?.stopAll();
  });

  async function signUp(label: string) {
    const email = `${label}-${randomBytes(4).toString("hex")}@example.com`;
    const password = `${label}-password-1`;
    const response = await platform.http.post("/api/auth/signup", { email, password });
    expect(response.status, response.text).to.equal(201);
    return { email, password, http: platform.http.as(response.body.token), id: response.body.account.id as string };
  }

  async function register(http: HttpClient, credential: SoftCredential, name = "Test key", options: Partial<CeremonyOptions> = {}) {
    const started = await http.post("/api/account/passkeys/options");
    expect(started.status, started.text).to.equal(200);
    expect(started.body.rp.id).to.equal(relyingParty.rpId);
    return http.post("/api/account/passkeys", { name, response: attest(credential, started.body.challenge, { ...relyingParty, ...options }) });
  }

  async function passkeySignIn(credential: SoftCredential, pendingToken?: string, options: Partial<CeremonyOptions> = {}) {
    const started = await platform.http.post("/api/auth/passkey/options", pendingToken ? { pendingToken } : {});
    expect(started.status, started.text).to.equal(200);
    const response = assert(credential, started.body.challenge, { ...relyingParty, ...options });
    return {
      answer: await platform.http.post("/api/auth/passkey", { response, ...(pendingToken ? { pendingToken } : {}) }),
      response,
      challenge: started.body.challenge as string,
    };
  }

  it("registers a passkey and signs in with it instead of a password; an assertion works once", async () => {
    const account = await signUp("passwordless");
    const credential = newCredential();
    const added = await register(account.http, credential, "My laptop");
    expect(added.status, added.text).to.equal(201);
    expect(added.body.name).to.equal("My laptop");
    const overview = await account.http.get("/api/account/security");
    expect(overview.body.passkeys.map((passkey: { name: string }) => passkey.name)).to.deep.equal(["My laptop"]);

    const { answer, response } = await passkeySignIn(credential);
    expect([answer.status, answer.body.state], answer.text).to.deep.equal([200, "signed_in"]);
    expect(answer.body.account.id).to.equal(account.id);
    const sessions = await platform.http.as(answer.body.token).get("/api/account/sessions");
    expect(sessions.body.items.find((session: { current: boolean }) => session.current).factor).to.equal("passkey");

    // The same signed answer again: its challenge is spent.
    const replay = await platform.http.post("/api/auth/passkey", { response });
    expect([replay.status, replay.body.code]).to.deep.equal([401, "invalid_credentials"]);
    // With the password, a passkey now is the second factor.
    const login = await platform.http.post("/api/auth/login", { email: account.email, password: account.password });
    expect([login.body.state, login.body.factors]).to.deep.equal(["second_factor_required", ["passkey"]]);
  });

  it("refuses an answer signed for another origin or RP ID, without user verification, with a wrong key, or after the challenge expired", async () => {
    const account = await signUp("refusals");
    const credential = newCredential();
    expect((await register(account.http, credential)).status).to.equal(201);
    const refused = async (label: string, result: Promise<{ answer: { status: number; body: { code: string } } }>) => {
      const { answer } = await result;
      expect([answer.status, answer.body.code], label).to.deep.equal([401, "invalid_credentials"]);
    };
    await refused("another origin", passkeySignIn(credential, undefined, { origin: "https://evil.example" }));
    await refused("another RP ID", passkeySignIn(credential, undefined, { rpId: "evil.example" }));
    await refused("no user verification without a password", passkeySignIn(credential, undefined, { userVerified: false }));
    await refused("a registration's client data type", passkeySignIn(credential, undefined, { type: "webauthn.create" }));
    const impostor = { ...newCredential(), id: credential.id };
    await refused("signed by another key", passkeySignIn(impostor));

    const started = await platform.http.post("/api/auth/passkey/options", {});
    await platform.database.db.execute(
      sql`UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE challenge = ${started.body.challenge}`,
    );
    const late = await platform.http.post("/api/auth/passkey", { response: assert(credential, started.body.challenge, relyingParty) });
    expect([late.status, late.body.code]).to.deep.equal([401, "invalid_credentials"]);
    // A Host header naming another site changes nothing: the relying party comes from PUBLIC_URL.
    const hosted = await platform.http.post("/api/account/passkeys/options", undefined, { host: "evil.example" });
    expect(hosted.status).to.equal(401);
    const options = await account.http.post("/api/account/passkeys/options", undefined, { host: "evil.example" });
    expect(options.body.rp.id).to.equal(relyingParty.rpId);

    // After all that, the right answer still works.
    const { answer } = await passkeySignIn(credential);
    expect(answer.status, answer.text).to.equal(200);
  });

  it("as the second factor: only a passkey of the account signing in finishes its sign-in", async () => {
    const owner = await signUp("second");
    const ownKey = newCredential();
    expect((await register(owner.http, ownKey)).status).to.equal(201);
    const other = await signUp("other");
    const otherKey = newCredential();
    expect((await register(other.http, otherKey)).status).to.equal(201);

    const login = await platform.http.post("/api/auth/login", { email: owner.email, password: owner.password });
    const pendingToken: string = login.body.pendingToken;
    const wrong = await passkeySignIn(otherKey, pendingToken);
    expect([wrong.answer.status, wrong.answer.body.code]).to.deep.equal([401, "invalid_credentials"]);
    // Without user verification it is still a fine second factor (the password was the first).
    const right = await passkeySignIn(ownKey, pendingToken, { userVerified: false });
    expect([right.answer.status, right.answer.body.account?.id], right.answer.text).to.deep.equal([200, owner.id]);
    // The pending sign-in is finished: no new challenge for it.
    const again = await platform.http.post("/api/auth/passkey/options", { pendingToken });
    expect([again.status, again.body.code]).to.deep.equal([401, "unauthorized"]);
  });

  it("a registration for another RP ID is refused; removing a passkey ends its use", async () => {
    const account = await signUp("remove");
    const bad = await register(account.http, newCredential(), "Phish", { rpId: "evil.example" });
    expect([bad.status, bad.body.code]).to.deep.equal([401, "invalid_credentials"]);
    const credential = newCredential();
    const added = await register(account.http, credential);
    const twice = await register(account.http, credential);
    expect(twice.status, "a credential is registered once").to.equal(409);
    expect((await account.http.request("DELETE", `/api/account/passkeys/${added.body.id}`)).status).to.equal(204);
    const stranger = await signUp("stranger-remove");
    expect((await stranger.http.request("DELETE", `/api/account/passkeys/${added.body.id}`)).status).to.equal(404);
    const { answer } = await passkeySignIn(credential);
    expect(answer.status).to.equal(401);
  });

  it("an auditor's passkey lifts the staff role like TOTP does", async () => {
    const account = await signUp("staff-passkey");
    await platform.database.db.execute(sql`UPDATE accounts SET roles = ARRAY['auditor']::text[] WHERE id = ${account.id}`);
    const login = await platform.http.post("/api/auth/login", { email: account.email, password: account.password });
    expect(login.body.state).to.equal("enrolment_required");
    const session = platform.http.as(login.body.token);
    expect((await session.get("/api/ledger/trial-balance")).status).to.equal(403);
    const credential = newCredential();
    expect((await register(session, credential)).status).to.equal(201);
    expect((await session.get("/api/ledger/trial-balance")).status).to.equal(200);
    const { answer } = await passkeySignIn(credential);
    expect((await platform.http.as(answer.body.token).get("/api/ledger/trial-balance")).status).to.equal(200);
    // With a passkey left, the auditor may turn TOTP on and off again.
    const { totpSecret } = await enrolTotp(session);
    expect(totpSecret).to.match(/^[A-Z2-7]{32}$/);
  });
});
