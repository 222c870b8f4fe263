-- Keys area: an import's uploaded content, held ENCRYPTED until its job has processed it.
--
-- The upload is AES-256-GCM under the shop's data key (api/keys/envelope.ts), bound by its
-- associated data to the shop and the import id, so a plaintext key never reaches the
-- database, and the row is deleted when the import finishes or fails.
--
-- run_token fences concurrent runs of the same import (BullMQ delivers at least once, and a
-- stalled job can be handed to a second worker while the first still runs): every run claims
-- the import by writing a fresh token under the row lock, and every later write of that run
-- checks its token in the same transaction, so a superseded run stops at its next write.
CREATE TABLE import_uploads (
  import_id          bigint PRIMARY KEY REFERENCES imports(id) ON DELETE CASCADE,
  shop_id            bigint NOT NULL REFERENCES shops(id),
  content_encrypted  bytea NOT NULL,
  run_token          text,
  run_started_at     timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);

