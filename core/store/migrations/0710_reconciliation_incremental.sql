-- Incremental reconciliation (docs/indexer.md, "Reconciliation"). A run used to compare every
-- row ever written, in one go, and to insert its row at the end (started_at = finished_at):
-- about 0.3 ms of the indexer's event loop per key ever sold, every 5 minutes. A run now checks
-- what changed since the previous run plus one slice of a full pass spread over several runs,
-- and its row is written when it starts and completed when it ends.
--
-- progress: the watermarks (newest ids and final block already covered) and the full-pass
-- cursors the next run starts from; duration_ms: the run's wall time.
ALTER TABLE reconciliation_runs ADD COLUMN duration_ms integer;
ALTER TABLE reconciliation_runs ADD COLUMN progress jsonb;

-- Reveals since the previous run (a redemption becomes overdue redemptionGraceSeconds after
-- its reveal): without this index every run read the whole entitlements table to find them.
-- Only revealed rows are in it.
CREATE INDEX entitlements_revealed_at_idx ON entitlements (revealed_at, id) WHERE revealed_at IS NOT NULL;

-- A run looks chain payments up by their payment row and back, a page at a time. payments'
-- unique key leads with shop_id since 0610, so a look-up by provider_ref alone read the whole
-- table; chain_payments had no index on the transaction a provider_ref names.
CREATE INDEX payments_chain_ref_idx ON payments (provider_ref) WHERE provider = 'chain';
CREATE INDEX chain_payments_transaction_idx ON chain_payments (chain_id, transaction_hash, log_index);
