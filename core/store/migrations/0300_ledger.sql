-- The double-entry ledger (docs/ledger.md).
--
-- Sign convention: a posting's amount_minor is positive for a credit and negative for a debit;
-- an account's balance is the sum of its postings. Every journal transaction's postings sum to
-- zero per currency, so the sum over all postings is zero per currency.
--
-- Safety lives here, not only in the TypeScript that calls it:
--   * journal, posting, chain and anchor rows are append-only (triggers reject UPDATE, DELETE
--     and TRUNCATE);
--   * postings balance per transaction and currency (statement trigger) and every journal
--     transaction has at least two postings (deferred constraint trigger);
--   * a posting names an existing account in that account's currency (checked per statement,
--     see ledger_postings_balanced), and an account's identity never changes and it is never
--     deleted;
--   * accounts whose purpose carries a floor (payable, proceeds, holds) can never go negative
--     (CHECK on the materialised balance, and the posting function rejects the entry first);
--   * a hold leaves `pending` exactly once.

CREATE TABLE ledger_accounts (
  id            bigserial PRIMARY KEY,
  owner_type    text NOT NULL,
  -- The owner's id in its own table (shops.id, accounts.id); 0 for the platform.
  owner_id      bigint NOT NULL DEFAULT 0,
  purpose       text NOT NULL,
  currency      text NOT NULL,
  -- Derived from the purpose so no caller can open a payable without its limit.
  floor_zero    boolean GENERATED ALWAYS AS (purpose IN ('payable', 'proceeds', 'holds')) STORED,
  -- Materialised sum of this account's postings, updated once per account per posting batch.
  -- ledger_check_balances() compares it with the postings.
  balance_minor bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_accounts_owner_known CHECK (owner_type IN ('platform', 'shop', 'buyer', 'reseller')),
  CONSTRAINT ledger_accounts_platform_id CHECK ((owner_type = 'platform') = (owner_id = 0)),
  CONSTRAINT ledger_accounts_purpose_known CHECK (purpose IN
    ('clearing_epay', 'clearing_chain', 'payments', 'payable', 'fees', 'royalties', 'proceeds',
     'holds', 'refunds', 'payouts', 'adjustments')),
  CONSTRAINT ledger_accounts_currency_format CHECK (currency ~ '^[A-Z]{3,8}$'),
  CONSTRAINT ledger_accounts_floor CHECK (NOT floor_zero OR balance_minor >= 0)
);
CREATE UNIQUE INDEX ledger_accounts_identity_key ON ledger_accounts (owner_type, owner_id, purpose, currency);

CREATE TABLE ledger_transactions (
  id               bigserial PRIMARY KEY,
  idempotency_key  text NOT NULL,
  -- SHA-256 of the canonical request (api/ledger/canonical.ts): a retry with the same key must
  -- carry the same payload, or it is an idempotency conflict.
  payload_hash     bytea NOT NULL,
  kind             text NOT NULL,
  reference_type   text NOT NULL,
  reference_id     text NOT NULL,
  metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_transactions_key_length CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  CONSTRAINT ledger_transactions_payload_hash_size CHECK (octet_length(payload_hash) = 32),
  CONSTRAINT ledger_transactions_reference_known CHECK (reference_type IN
    ('order', 'payment', 'payout', 'refund', 'resale', 'hold', 'adjustment')),
  CONSTRAINT ledger_transactions_kind_format CHECK (kind ~ '^[a-z][a-z_]{1,40}$')
);
CREATE UNIQUE INDEX ledger_transactions_idempotency_key ON ledger_transactions (idempotency_key);
CREATE INDEX ledger_transactions_reference_idx ON ledger_transactions (reference_type, reference_id);

CREATE TABLE ledger_postings (
  tx_id         bigint NOT NULL REFERENCES ledger_transactions(id),
  account_id    bigint NOT NULL,
  amount_minor  bigint NOT NULL,
  currency      text NOT NULL,
  PRIMARY KEY (tx_id, account_id),
  -- No foreign key to ledger_accounts: a row-level check per posting walks the hot accounts'
  -- update chains hundreds of times per batch (measured: 15-25% of a hot-account batch). The
  -- statement trigger ledger_postings_balanced checks each distinct account once instead.
  CONSTRAINT ledger_postings_nonzero CHECK (amount_minor <> 0)
);
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account_id, tx_id);

-- The tamper-evident chain, written by one background hasher (api/ledger/hasher.ts) in the
-- order it finds committed entries: seq is contiguous from 1, chain_hash =
-- SHA-256(previous chain_hash || content_hash). seq is also the leaf index (seq - 1) of the
-- RFC 9162 Merkle log that anchors are taken over.
CREATE TABLE ledger_chain (
  seq           bigint PRIMARY KEY,
  tx_id         bigint NOT NULL UNIQUE REFERENCES ledger_transactions(id),
  content_hash  bytea NOT NULL,
  chain_hash    bytea NOT NULL,
  hashed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT ledger_chain_seq_positive CHECK (seq >= 1),
  CONSTRAINT ledger_chain_hash_sizes CHECK (octet_length(content_hash) = 32 AND octet_length(chain_hash) = 32)
);

-- Journal transactions committed but not yet hashed. Writers add their ids in the same
-- database transaction as the entry, the hasher removes them in the transaction that appends
-- them to the chain: an entry that commits late (a lower id after a higher one) is still
-- hashed exactly once, just at a later seq.
CREATE TABLE ledger_unhashed (
  tx_id bigint PRIMARY KEY
);

-- Two-phase amounts (TigerBeetle's pending transfers): the creating transaction moves the
-- amount into holding_account_id; resolving it moves it on to post_account_id (posted) or
-- back to void_account_id (voided, expired), exactly once.
CREATE TABLE ledger_holds (
  id                 bigserial PRIMARY KEY,
  tx_id              bigint NOT NULL UNIQUE REFERENCES ledger_transactions(id),
  holding_account_id bigint NOT NULL REFERENCES ledger_accounts(id),
  post_account_id    bigint NOT NULL REFERENCES ledger_accounts(id),
  void_account_id    bigint NOT NULL REFERENCES ledger_accounts(id),
  amount_minor       bigint NOT NULL,
  currency           text NOT NULL,
  reference_type     text NOT NULL,
  reference_id       text NOT NULL,
  expires_at         timestamptz,
  -- What expiry does: a payout request is voided, a resale's proceeds are released (posted).
  expiry_action      text NOT NULL DEFAULT 'void',
  state              text NOT NULL DEFAULT 'pending',
  resolved_tx_id     bigint REFERENCES ledger_transactions(id),
  resolved_at        timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_holds_amount_positive CHECK (amount_minor > 0),
  CONSTRAINT ledger_holds_expiry_action_known CHECK (expiry_action IN ('void', 'post')),
  CONSTRAINT ledger_holds_state_known CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
  CONSTRAINT ledger_holds_resolution CHECK ((state = 'pending') = (resolved_tx_id IS NULL))
);
CREATE UNIQUE INDEX ledger_holds_reference_key ON ledger_holds (reference_type, reference_id);
CREATE INDEX ledger_holds_holding_idx ON ledger_holds (holding_account_id, id) WHERE state = 'pending';
CREATE INDEX ledger_holds_expiry_idx ON ledger_holds (expires_at) WHERE state = 'pending';

-- Roots of the Merkle log anchored on-chain through LedgerAnchor.anchor(size, root).
CREATE TABLE ledger_anchors (
  size              bigint PRIMARY KEY,
  root              bytea NOT NULL,
  chain_id          bigint NOT NULL,
  contract_address  text NOT NULL,
  tx_hash           text NOT NULL,
  block_number      bigint NOT NULL,
  anchor_index      numeric(78,0),
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_anchors_size_positive CHECK (size >= 1),
  CONSTRAINT ledger_anchors_root_size CHECK (octet_length(root) = 32)
);

-- Append-only: journal, postings, chain and anchors are never updated or deleted.
CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_chain_append_only BEFORE UPDATE OR DELETE ON ledger_chain
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_chain_no_truncate BEFORE TRUNCATE ON ledger_chain
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_anchors_append_only BEFORE UPDATE OR DELETE ON ledger_anchors
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_anchors_no_truncate BEFORE TRUNCATE ON ledger_anchors
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

-- An account is never deleted and its identity (owner, purpose, currency) never changes: only
-- its materialised balance moves.
CREATE FUNCTION ledger_accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (NEW.id, NEW.owner_type, NEW.owner_id, NEW.purpose, NEW.currency, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.owner_type, OLD.owner_id, OLD.purpose, OLD.currency, OLD.created_at) THEN
    RAISE EXCEPTION 'ledger accounts are never deleted and their identity never changes' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE OR DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_accounts_guard();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

-- A hold may only leave `pending`, once, for a final state with its resolving transaction;
-- nothing else on it ever changes, and it is never deleted.
CREATE FUNCTION ledger_holds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'ledger holds are never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD.state <> 'pending' OR NEW.state = 'pending'
     OR (NEW.id, NEW.tx_id, NEW.holding_account_id, NEW.post_account_id, NEW.void_account_id,
         NEW.amount_minor, NEW.currency, NEW.reference_type, NEW.reference_id, NEW.expires_at,
         NEW.expiry_action, NEW.created_at)
        IS DISTINCT FROM
        (OLD.id, OLD.tx_id, OLD.holding_account_id, OLD.post_account_id, OLD.void_account_id,
         OLD.amount_minor, OLD.currency, OLD.reference_type, OLD.reference_id, OLD.expires_at,
         OLD.expiry_action, OLD.created_at) THEN
    RAISE EXCEPTION 'ledger hold % may only move once from pending to a final state', OLD.id
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_holds_guard BEFORE UPDATE OR DELETE ON ledger_holds
  FOR EACH ROW EXECUTE FUNCTION ledger_holds_guard();

-- Postings balance: within each INSERT statement, every transaction's postings sum to zero
-- per currency. A transaction's postings can therefore only be added in balanced groups, so
-- the sum over all of them is zero too. One check per statement, not per row: it is cheap
-- enough for batches of thousands.
CREATE FUNCTION ledger_postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  broken bigint;
BEGIN
  SELECT tx_id INTO broken FROM new_postings GROUP BY tx_id, currency HAVING sum(amount_minor) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance', broken USING ERRCODE = 'check_violation';
  END IF;
  -- The foreign key, once per distinct account: the account exists, in the posting's currency.
  SELECT p.account_id INTO broken FROM (SELECT DISTINCT account_id, currency FROM new_postings) p
  WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = p.account_id AND a.currency = p.currency) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger posting names account %, which does not exist in that currency', broken
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_balanced();

-- Every journal transaction has at least two postings by the time it commits.
CREATE FUNCTION ledger_transaction_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM ledger_postings WHERE tx_id = NEW.id) < 2 THEN
    RAISE EXCEPTION 'ledger transaction % has fewer than two postings', NEW.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_transactions_have_postings AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_has_postings();
