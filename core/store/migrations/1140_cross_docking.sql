-- Docking across instances (docs/docking.md, "Across instances"): a shop of this instance adds
-- a supplier that runs on another Keyledger instance, by its URL and an API key of an account
-- there. The key is a secret: stored only encrypted with the shop's data key (AES-256-GCM,
-- bound to the shop and the row by its additional data), never answered again, never logged.
-- The upstream's chain and contracts are pinned when the supplier is added: a certificate the
-- upstream later hands over must name these, so an upstream cannot switch to a registry of its
-- own making.
CREATE TABLE remote_suppliers (
  id                   bigserial PRIMARY KEY,
  shop_id              bigint NOT NULL REFERENCES shops(id),
  base_url             text NOT NULL,
  api_key_encrypted    bytea NOT NULL,
  -- kl_live_<id>_abcd…: enough for the merchant to tell keys apart, nothing to use.
  api_key_hint         text NOT NULL,
  chain_id             text NOT NULL,
  registry_address     text NOT NULL,
  entitlement_address  text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT remote_suppliers_url_length CHECK (length(base_url) <= 2048),
  CONSTRAINT remote_suppliers_once UNIQUE (shop_id, base_url)
);
