-- What the indexer did with each final on-chain payment (OrderPaid): the outbox record that
-- makes processing exactly-once. A payment is processed after its block is final, so these rows
-- are never rolled back. Outcomes other than 'accepted' and 'replayed' are on the refund path:
-- underpaid, overpaid, late and duplicate are also in payments with that status;
-- unknown_order and unsupported_asset have no order to attach to and are listed here only.
CREATE TABLE chain_payment_outcomes (
  chain_id      bigint NOT NULL,
  block_number  bigint NOT NULL,
  log_index     integer NOT NULL,
  provider_ref  text NOT NULL UNIQUE,
  order_id      text,
  outcome       text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, block_number, log_index),
  CONSTRAINT chain_payment_outcomes_known CHECK (outcome IN
    ('accepted','replayed','underpaid','overpaid','late','duplicate','unknown_order','unsupported_asset'))
);
