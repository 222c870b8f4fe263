-- Recommendations (docs/discovery.md, "Recommendations"): an item-item collaborative filter whose
-- counts a job keeps incrementally from three signals of signed-in accounts (paid orders, product
-- views, reveals). Guests are not tracked: without cookies they have no stable identity, and
-- following them would mean one.

-- A signed-in account opened an active product's page. Kept 30 days (the job deletes older
-- rows); what the filter needs of a view outlives it as the account's item in
-- recommendation_user_items, without its time.
CREATE TABLE product_views (
  id          bigserial PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  product_id  bigint NOT NULL REFERENCES products(id),
  viewed_at   timestamptz NOT NULL DEFAULT now()
);
-- The job reads views in (viewed_at, id) order from its watermark, and deletes by age.
CREATE INDEX product_views_time_idx ON product_views (viewed_at, id);

-- The set of items each account interacted with: one row per (account, product) whatever the
-- signal and however often. Its primary key is what makes a sighting count once: the job's
-- INSERT ... ON CONFLICT DO NOTHING RETURNING hands only new rows to the counters.
CREATE TABLE recommendation_user_items (
  account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  product_id  bigint NOT NULL REFERENCES products(id),
  seen_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, product_id)
);

-- n(item): the number of distinct accounts with the item.
CREATE TABLE item_users (
  product_id  bigint PRIMARY KEY REFERENCES products(id),
  accounts    bigint NOT NULL,
  CONSTRAINT item_users_positive CHECK (accounts > 0)
);
-- Popularity among accounts, the last fallback of a list.
CREATE INDEX item_users_popular_idx ON item_users (accounts DESC, product_id);

-- count(a, b): the number of accounts having both a and b, each pair once (a < b).
CREATE TABLE item_pairs (
  product_a  bigint NOT NULL REFERENCES products(id),
  product_b  bigint NOT NULL REFERENCES products(id),
  accounts   bigint NOT NULL,
  PRIMARY KEY (product_a, product_b),
  CONSTRAINT item_pairs_ordered CHECK (product_a < product_b),
  CONSTRAINT item_pairs_positive CHECK (accounts > 0)
);
-- A product's neighbours are found from either side of its pairs.
CREATE INDEX item_pairs_b_idx ON item_pairs (product_b, product_a);

-- The job's watermark per signal: the (time, id) of the last signal it counted, read again in
-- that order (keyset), so each signal is read once however the work is split into batches.
CREATE TABLE recommendation_progress (
  source     text PRIMARY KEY,
  cursor_at  timestamptz NOT NULL DEFAULT '-infinity',
  cursor_id  text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT recommendation_progress_source_known CHECK (source IN ('orders', 'views', 'reveals'))
);
INSERT INTO recommendation_progress (source) VALUES ('orders'), ('views'), ('reveals');

-- Paid orders of accounts in the order they were paid, for the job (the recovery index
-- orders_paid_keyset_idx holds only orders still in 'paid').
CREATE INDEX orders_account_paid_idx ON orders (paid_at, id) INCLUDE (buyer_account_id, product_id)
  WHERE buyer_account_id IS NOT NULL AND paid_at IS NOT NULL;
