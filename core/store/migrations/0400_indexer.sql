-- Indexer: blocks, raw logs, decoded events, derived chain facts, the checkpoint and the
-- reconciliation findings. See docs/indexer.md.
--
-- Rollback design: every derived row is an immutable fact stamped with the block it came from
-- (primary key chain_id, block_number, log_index). Current state (a token's owner, whether it
-- is locked) is the latest fact, read with an index. A reorg therefore rolls back by deleting
-- every row with block_number above the common ancestor, in one transaction with the
-- checkpoint: no undo journal to keep consistent, nothing updated in place.
-- Hashes and addresses are lowercase 0x-prefixed text; uint256 is numeric(78,0).

-- One row per chain: the last block fully indexed (its hash links the next block) and the
-- highest block treated as final. Written in the same transaction as the rows it covers.
CREATE TABLE indexer_checkpoints (
  chain_id          bigint PRIMARY KEY,
  block_number      bigint NOT NULL,
  block_hash        text NOT NULL,
  finalized_number  bigint NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT indexer_checkpoints_final_below_tip CHECK (finalized_number <= block_number)
);

-- Every block of the unfinalized window (the reorg walk-back compares these hashes), and every
-- older block that carried one of our logs (timestamps for the timeline).
CREATE TABLE chain_blocks (
  chain_id     bigint NOT NULL,
  number       bigint NOT NULL,
  hash         text NOT NULL,
  parent_hash  text NOT NULL,
  timestamp    bigint NOT NULL,
  PRIMARY KEY (chain_id, number)
);

CREATE TABLE chain_logs (
  chain_id           bigint NOT NULL,
  block_number       bigint NOT NULL,
  log_index          integer NOT NULL,
  block_hash         text NOT NULL,
  transaction_hash   text NOT NULL,
  transaction_index  integer NOT NULL,
  address            text NOT NULL,
  topics             text[] NOT NULL,
  data               text NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);

-- Decoded form of every log whose event is in the platform ABIs (uint values as decimal text).
CREATE TABLE chain_events (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  contract          text NOT NULL,
  event_name        text NOT NULL,
  args              jsonb NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);
CREATE INDEX chain_events_name_idx ON chain_events (chain_id, event_name, block_number);

-- Derived facts, one table per event kind.
CREATE TABLE chain_batch_anchors (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  batch_id          numeric(20,0) NOT NULL,
  shop_id           numeric(20,0) NOT NULL,
  root              text NOT NULL,
  key_count         bigint NOT NULL,
  issuer            text NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);
CREATE INDEX chain_batch_anchors_batch_idx ON chain_batch_anchors (chain_id, batch_id);

CREATE TABLE chain_issuances (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  batch_id          numeric(20,0) NOT NULL,
  first_token_id    numeric(78,0) NOT NULL,
  token_count       bigint NOT NULL,
  leaf_indexes      bigint[] NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);
CREATE INDEX chain_issuances_batch_idx ON chain_issuances (chain_id, batch_id);
CREATE INDEX chain_issuances_token_idx ON chain_issuances (chain_id, first_token_id);

-- One row per issued token (expanded from EntitlementsIssued), so token -> leaf is one look-up.
CREATE TABLE chain_tokens (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  token_id          numeric(78,0) NOT NULL,
  batch_id          numeric(20,0) NOT NULL,
  leaf_index        bigint NOT NULL,
  transaction_hash  text NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index, token_id)
);
CREATE INDEX chain_tokens_token_idx ON chain_tokens (chain_id, token_id);
CREATE INDEX chain_tokens_leaf_idx ON chain_tokens (chain_id, batch_id, leaf_index);

CREATE TABLE chain_transfers (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  contract          text NOT NULL,
  token_id          numeric(78,0) NOT NULL,
  from_address      text NOT NULL,
  to_address        text NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);
CREATE INDEX chain_transfers_token_idx ON chain_transfers (chain_id, token_id, block_number DESC, log_index DESC);

CREATE TABLE chain_custodial_transfers (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  token_id          numeric(78,0) NOT NULL,
  from_holder       text NOT NULL,
  to_holder         text NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);
CREATE INDEX chain_custodial_transfers_token_idx ON chain_custodial_transfers (chain_id, token_id);

-- Locked (ERC-5192: the code was revealed) and revoked tokens.
CREATE TABLE chain_token_states (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  token_id          numeric(78,0) NOT NULL,
  kind              text NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index, token_id),
  CONSTRAINT chain_token_states_kind_known CHECK (kind IN ('locked','revoked'))
);
CREATE INDEX chain_token_states_token_idx ON chain_token_states (chain_id, token_id);

CREATE TABLE chain_payments (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  order_ref         text NOT NULL,
  order_id          text,
  payer             text NOT NULL,
  token             text NOT NULL,
  amount            numeric(78,0) NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);
CREATE INDEX chain_payments_order_idx ON chain_payments (order_id);

CREATE TABLE chain_ledger_anchors (
  chain_id          bigint NOT NULL,
  block_number      bigint NOT NULL,
  log_index         integer NOT NULL,
  transaction_hash  text NOT NULL,
  size              numeric(20,0) NOT NULL,
  root              text NOT NULL,
  anchor_index      numeric(78,0) NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);

-- What reconciliation found. One run writes a fresh set; the report reads the latest run.
CREATE TABLE reconciliation_runs (
  id                bigserial PRIMARY KEY,
  chain_id          bigint NOT NULL,
  finalized_number  bigint NOT NULL,
  started_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  checked           jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE reconciliation_findings (
  id          bigserial PRIMARY KEY,
  run_id      bigint NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
  kind        text NOT NULL,
  subject     text NOT NULL,
  subject_id  text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT reconciliation_findings_kind_known CHECK (kind IN ('missing_on_chain','missing_off_chain','mismatch','reorged'))
);
CREATE INDEX reconciliation_findings_run_idx ON reconciliation_findings (run_id, id);
