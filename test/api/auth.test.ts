// Session tokens from the request and the role gate, without a server: where the bearer token
// is read from (the Authorization header only: cookies authenticate nothing, docs/decisions.md),
// and who requireAccount lets through.
// Token hashes are checked against SHA-256 known answers (FIPS 180-2).
import { expect } from "chai";
import type { Request } from "express";
import { AppError } from "../../core/errors.ts";
import { roles } from "../../core/roles.ts";
import { requireAccount, sessionToken } from "../../api/http/auth.ts";
import { hashToken, sessionRoles, type AuthenticatedAccount } from "../../api/services/accounts/sessions.ts";

const headers = (values: Record<string, string>) => ({ headers: values });

function refusal(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected a refusal");
}

describe("http: session tokens and roles", () => {
  it("reads the bearer token from the Authorization header, trimmed", () => {
    expect(sessionToken(headers({ authorization: "Bearer abc.DEF_-123" }))).to.equal("abc.DEF_-123");
    expect(sessionToken(headers({ authorization: "Bearer   padded  " }))).to.equal("padded");
    expect(sessionToken(headers({ authorization: "Bearer    " }))).to.equal(undefined);
    expect(sessionToken(headers({ authorization: "Bearer " }))).to.equal(undefined);
  });

  it("ignores cookies and other schemes: only a Bearer header carries a session", () => {
    expect(sessionToken(headers({ authorization: "Bearer from-header", cookie: "kl_session=from-cookie" }))).to.equal("from-header");
    expect(sessionToken(headers({ authorization: "Basic dXNlcjpwYXNz", cookie: "kl_session=from-cookie" }))).to.equal(undefined);
    expect(sessionToken(headers({ cookie: "kl_session=tok" }))).to.equal(undefined);
    expect(sessionToken(headers({ authorization: "bearer lower" }))).to.equal(undefined);
    expect(sessionToken(headers({ authorization: "Bearerx" }))).to.equal(undefined);
    expect(sessionToken(headers({}))).to.equal(undefined);
  });

  it("requires a signed-in account, and one of the roles when roles are named", () => {
    const merchant: AuthenticatedAccount = {
      id: 5n,
      email: "m@example.test",
      roles: ["merchant", "reseller"],
      withheldRoles: [],
      factor: "password",
      sessionId: 1n,
      tokenHash: Buffer.alloc(32),
    };
    const withAccount = { account: merchant } as Request;
    expect(requireAccount(withAccount)).to.equal(merchant);
    expect(requireAccount(withAccount, ["merchant"])).to.equal(merchant);
    expect(requireAccount(withAccount, ["admin", "reseller"])).to.equal(merchant);

    const anonymous = refusal(() => requireAccount({} as Request));
    expect([anonymous.code, anonymous.status]).to.deep.equal(["unauthorized", 401]);
    expect(anonymous.message).to.equal("Sign in first: send `Authorization: Bearer <token>` from POST /api/auth/login.");
    expect(refusal(() => requireAccount({} as Request, ["buyer"])).code).to.equal("unauthorized");

    const forbidden = refusal(() => requireAccount(withAccount, ["admin", "auditor"]));
    expect([forbidden.code, forbidden.status]).to.deep.equal(["forbidden", 403]);
    expect(forbidden.message).to.equal("This needs one of the roles: admin, auditor.");
    expect(refusal(() => requireAccount(withAccount, [])).code).to.equal("forbidden");
    const noRoles = { account: { ...merchant, roles: [] } } as unknown as Request;
    expect(refusal(() => requireAccount(noRoles, ["buyer"])).code).to.equal("forbidden");
    expect(requireAccount(noRoles)).to.deep.equal({ ...merchant, roles: [] });
  });

  it("refuses staff roles held by the account but withheld from a session without a second factor", () => {
    const auditor: AuthenticatedAccount = {
      id: 6n,
      email: "a@example.test",
      roles: ["buyer"],
      withheldRoles: ["auditor"],
      factor: "password",
      sessionId: 2n,
      tokenHash: Buffer.alloc(32),
    };
    const request = { account: auditor } as Request;
    const refused = refusal(() => requireAccount(request, ["auditor", "admin"]));
    expect([refused.code, refused.status]).to.deep.equal(["second_factor_required", 403]);
    expect(refused.message).to.contain("turn on TOTP or add a passkey");
    // A role that is not withheld is refused as before, and the buyer role still works.
    expect(refusal(() => requireAccount(request, ["merchant"])).code).to.equal("forbidden");
    expect(requireAccount(request, ["buyer"])).to.equal(auditor);
  });

  it("withholds admin and auditor from password-only sessions, and only those", () => {
    expect(sessionRoles(["buyer", "admin", "auditor", "merchant"], "password")).to.deep.equal({
      roles: ["buyer", "merchant"],
      withheldRoles: ["admin", "auditor"],
    });
    for (const factor of ["totp", "recovery_code", "passkey"] as const) {
      expect(sessionRoles(["buyer", "admin"], factor)).to.deep.equal({ roles: ["buyer", "admin"], withheldRoles: [] });
    }
  });

  it("knows exactly the platform's five roles", () => {
    expect([...roles]).to.deep.equal(["buyer", "merchant", "reseller", "auditor", "admin"]);
  });

  it("stores SHA-256 of the token, not the token", () => {
    expect(hashToken("abc").toString("hex")).to.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashToken("").toString("hex")).to.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
