-- Account security (docs/accounts.md): a second factor (TOTP with recovery codes, passkeys),
-- sign-in stages, password reset by mail, login history and a list of active sessions.

-- The language of the mails an account receives (password reset).
ALTER TABLE accounts ADD COLUMN locale text NOT NULL DEFAULT 'zh-CN'
  CONSTRAINT accounts_locale_known CHECK (locale IN ('zh-CN', 'en'));

-- A session has a public id (to list and revoke it without showing its token hash), the factor
-- it was opened with, and a stage: 'second_factor' is a password sign-in that still has to
-- show a TOTP code, a recovery code or a passkey, and grants nothing until it does.
-- Staff roles (admin, auditor) count only in a session opened with a second factor.
ALTER TABLE sessions
  ADD COLUMN id bigserial,
  ADD COLUMN stage text NOT NULL DEFAULT 'complete'
    CONSTRAINT sessions_stage_known CHECK (stage IN ('second_factor', 'complete')),
  ADD COLUMN factor text NOT NULL DEFAULT 'password'
    CONSTRAINT sessions_factor_known CHECK (factor IN ('password', 'totp', 'recovery_code', 'passkey')),
  ADD COLUMN client_address text,
  ADD COLUMN user_agent text;
ALTER TABLE sessions ADD CONSTRAINT sessions_id_key UNIQUE (id);

-- The TOTP secret is AES-256-GCM under its own data key, which is wrapped under the master
-- key (api/keys/envelope.ts). confirmed_at is null until the owner has shown one code;
-- last_step is the RFC 6238 time step of the last code accepted: a code of that step or an
-- earlier one is refused, so a code seen once (over a shoulder, in a proxy log) is spent.
CREATE TABLE account_totp (
  account_id        bigint PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  secret_encrypted  bytea NOT NULL,
  data_key_wrapped  bytea NOT NULL,
  master_key_id     text NOT NULL,
  confirmed_at      timestamptz,
  last_step         bigint,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- Recovery codes are 80 random bits each; only their SHA-256 is kept (like session tokens, a
-- random secret of that size needs no slow hash). used_at makes each one single-use.
CREATE TABLE recovery_codes (
  account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  code_hash   bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz,
  PRIMARY KEY (account_id, code_hash)
);

-- Passkeys (WebAuthn credentials). public_key is the COSE key as the authenticator sent it.
CREATE TABLE passkeys (
  id              bigserial PRIMARY KEY,
  account_id      bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  credential_id   text NOT NULL UNIQUE,
  public_key      bytea NOT NULL,
  sign_count      bigint NOT NULL DEFAULT 0,
  transports      text[] NOT NULL DEFAULT ARRAY[]::text[],
  name            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz
);
CREATE INDEX passkeys_account_idx ON passkeys (account_id);

-- WebAuthn challenges, kept server-side: single use (deleted when used) and expiring.
CREATE TABLE webauthn_challenges (
  challenge   text PRIMARY KEY,
  purpose     text NOT NULL CONSTRAINT webauthn_challenges_purpose_known CHECK (purpose IN ('registration', 'authentication')),
  account_id  bigint REFERENCES accounts(id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expiry_idx ON webauthn_challenges (expires_at);

-- Password reset tokens: only their SHA-256 is stored; single use (used_at) and expiring.
CREATE TABLE password_reset_tokens (
  token_hash  bytea PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX password_reset_tokens_account_idx ON password_reset_tokens (account_id);

-- Every sign-in attempt on a known account, successful or not, and the factor it used.
CREATE TABLE login_history (
  id              bigserial PRIMARY KEY,
  account_id      bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  at              timestamptz NOT NULL DEFAULT now(),
  client_address  text,
  user_agent      text,
  factor          text NOT NULL CONSTRAINT login_history_factor_known
                    CHECK (factor IN ('password', 'totp', 'recovery_code', 'passkey', 'password_reset')),
  succeeded       boolean NOT NULL
);
CREATE INDEX login_history_account_idx ON login_history (account_id, id DESC);
