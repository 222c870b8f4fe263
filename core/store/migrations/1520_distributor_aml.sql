-- AML payout rules over distributors' payouts too (docs/compliance.md, "AML rules"): an agent's or
-- referrer's payout request (POST /api/agent/payouts) is reviewed like a shop's. An alert or a
-- payout destination belongs to exactly one of a shop or a distributor (its account id, the
-- owner id of its distributor ledger accounts).

-- No foreign key to accounts on purpose: the data export follows every such key, and a person must
-- not learn from their own export that an AML alert names them (tipping off). The id is the
-- distributor ledger accounts' owner id, which has no foreign key either.
ALTER TABLE aml_alerts ALTER COLUMN shop_id DROP NOT NULL;
ALTER TABLE aml_alerts ADD COLUMN distributor_account_id bigint;
ALTER TABLE aml_alerts ADD CONSTRAINT aml_alerts_one_subject CHECK ((shop_id IS NULL) <> (distributor_account_id IS NULL));
CREATE INDEX aml_alerts_distributor_idx ON aml_alerts (distributor_account_id, id) WHERE distributor_account_id IS NOT NULL;

-- A distributor's payout wallet is its own data: the foreign key puts it in the person's export.
ALTER TABLE payout_destinations ALTER COLUMN shop_id DROP NOT NULL;
ALTER TABLE payout_destinations ADD COLUMN distributor_account_id bigint REFERENCES accounts(id);
ALTER TABLE payout_destinations ADD CONSTRAINT payout_destinations_one_owner CHECK ((shop_id IS NULL) <> (distributor_account_id IS NULL));
