// Response schemas of the account security routes (api/http/routes/accountSecurity.ts) and the
// sign-in answers (api/http/routes/accounts.ts).
import { z } from "zod";
import { accountSchema } from "./accounts.ts";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

const sessionFactor = z.enum(["password", "totp", "recovery_code", "passkey"]);

/** A sign-in that opened a session: `enrolment_required` when staff roles wait for a second factor. */
export const signedInSchema = z.strictObject({
  state: z.enum(["signed_in", "enrolment_required"]),
  account: accountSchema,
  token: z.string(),
  expiresAt: isoDateTime,
});

/** A right password on an account with a second factor: finish with POST /api/auth/second-factor or a passkey. */
export const secondFactorRequiredSchema = z.strictObject({
  state: z.literal("second_factor_required"),
  pendingToken: z.string(),
  expiresAt: isoDateTime,
  factors: z.array(z.enum(["totp", "recovery_code", "passkey"])),
});

export const signInSchema = z.discriminatedUnion("state", [signedInSchema, secondFactorRequiredSchema]);

export const passkeySchema = z.strictObject({ id: decimalString, name: z.string(), createdAt: isoDateTime, lastUsedAt: isoDateTime.nullable() });

export const securityOverviewSchema = z.strictObject({
  totpEnabled: z.boolean(),
  recoveryCodesLeft: z.number().int(),
  passkeys: z.array(passkeySchema),
  /** True for admins and auditors: their staff roles need a session opened with a second factor. */
  secondFactorRequired: z.boolean(),
  /** The factor this session was opened with. */
  sessionFactor,
});

export const totpEnrolmentSchema = z.strictObject({
  secret: z.string().describe("The base32 secret, for typing into an authenticator app by hand"),
  otpauthUri: z.string().describe("otpauth://totp/… URI, for a QR code"),
});

export const recoveryCodesSchema = z.strictObject({ recoveryCodes: z.array(z.string()).describe("Shown this once; each works once") });

export const sessionViewSchema = z.strictObject({
  id: decimalString,
  createdAt: isoDateTime,
  expiresAt: isoDateTime,
  factor: sessionFactor,
  clientAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});

export const sessionListSchema = z.strictObject({ items: z.array(sessionViewSchema) });

export const loginHistoryPageSchema = pageOf(
  z.strictObject({
    id: decimalString,
    at: isoDateTime,
    clientAddress: z.string().nullable(),
    userAgent: z.string().nullable(),
    factor: z.enum(["password", "totp", "recovery_code", "passkey", "password_reset"]),
    succeeded: z.boolean(),
  }),
);

export const passwordResetRequestedSchema = z.strictObject({
  accepted: z.literal(true).describe("Always true: the answer never says whether the email has an account"),
});

// WebAuthn options as @simplewebauthn/server makes them (PublicKeyCredential*OptionsJSON),
// handed unchanged to @simplewebauthn/browser; only the fields the client relies on are named.
export const passkeyRegistrationOptionsSchema = z.looseObject({
  challenge: z.string(),
  rp: z.looseObject({ id: z.string().optional(), name: z.string() }),
  user: z.looseObject({ id: z.string(), name: z.string(), displayName: z.string() }),
  pubKeyCredParams: z.array(z.looseObject({ alg: z.number(), type: z.string() })),
});

export const passkeySignInOptionsSchema = z.looseObject({
  challenge: z.string(),
  rpId: z.string().optional(),
  allowCredentials: z.array(z.looseObject({ id: z.string(), type: z.string() })).optional(),
  userVerification: z.string().optional(),
});
