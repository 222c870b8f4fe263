-- Scoped API keys (issue 17 item 1, docs/api-keys.md). A key acts for its owner account with
-- only its scopes. The secret is never stored: `secret_hash` is HMAC-SHA256 under the server's
-- API_KEY_HASH_KEY, so a copy of this table without that key cannot be checked against guesses.
-- A key is never deleted: revocation stamps `revoked_at`, and audit rows keep naming it.
CREATE TABLE api_keys (
  id                bigserial PRIMARY KEY,
  account_id        bigint NOT NULL REFERENCES accounts(id),
  name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
  scopes            text[] NOT NULL CHECK (cardinality(scopes) >= 1),
  secret_hash       bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
  -- The secret's first characters after the id, shown in lists so an owner can tell keys apart.
  hint              text NOT NULL,
  expires_at        timestamptz,
  -- Empty: any address. Otherwise the caller's address must be inside one of these networks.
  allowed_networks  cidr[] NOT NULL DEFAULT '{}',
  created_at        timestamptz NOT NULL DEFAULT now(),
  revoked_at        timestamptz,
  last_used_at      timestamptz
);
CREATE INDEX api_keys_account_idx ON api_keys (account_id, id DESC);

-- Every audit row written while a request is authenticated by a key names that key: the call's
-- own row (`api_key.call`) and any privileged change the call made (api/services/audit.ts).
ALTER TABLE audit_log ADD COLUMN api_key_id bigint REFERENCES api_keys(id);
CREATE INDEX audit_log_api_key_idx ON audit_log (api_key_id, id) WHERE api_key_id IS NOT NULL;
