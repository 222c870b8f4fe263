-- Verified reviews (docs/discovery.md, "Reviews"): one per entitlement whose issuance is on-chain,
-- written by the account that bought it; one merchant reply; reports by users, moderation by
-- admins; the product's rating kept as counters.

CREATE TABLE reviews (
  id                bigserial PRIMARY KEY,
  -- One review per entitlement: the unique key is what refuses a second one, also under a race.
  entitlement_id    bigint NOT NULL UNIQUE REFERENCES entitlements(id),
  product_id        bigint NOT NULL REFERENCES products(id),
  shop_id           bigint NOT NULL REFERENCES shops(id),
  author_account_id bigint NOT NULL REFERENCES accounts(id),
  stars             smallint NOT NULL,
  body              text NOT NULL,
  -- hidden: taken down by a platform admin; it leaves the product's rating until restored.
  status            text NOT NULL DEFAULT 'visible',
  reply_body        text,
  reply_account_id  bigint REFERENCES accounts(id),
  replied_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT reviews_stars_range CHECK (stars BETWEEN 1 AND 5),
  CONSTRAINT reviews_status_known CHECK (status IN ('visible', 'hidden')),
  CONSTRAINT reviews_reply_whole CHECK ((reply_body IS NULL) = (replied_at IS NULL) AND (reply_body IS NULL) = (reply_account_id IS NULL))
);
CREATE INDEX reviews_product_visible_idx ON reviews (product_id, id DESC) WHERE status = 'visible';
CREATE INDEX reviews_author_idx ON reviews (author_account_id, id DESC);

-- A user's report of a review; one per review and reporter. resolved_at is set when an admin
-- hides or restores the review (the report has been looked at).
CREATE TABLE review_reports (
  id                  bigserial PRIMARY KEY,
  review_id           bigint NOT NULL REFERENCES reviews(id),
  reporter_account_id bigint NOT NULL REFERENCES accounts(id),
  reason              text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  resolved_at         timestamptz,
  CONSTRAINT review_reports_once UNIQUE (review_id, reporter_account_id)
);
CREATE INDEX review_reports_open_idx ON review_reports (review_id) WHERE resolved_at IS NULL;

-- The rating of a product over its visible reviews, changed in the same transaction as the
-- review that changes it (create, hide, restore); test/reviews/ recomputes it from the rows.
CREATE TABLE product_ratings (
  product_id    bigint PRIMARY KEY REFERENCES products(id),
  reviews_count bigint NOT NULL DEFAULT 0,
  stars_total   bigint NOT NULL DEFAULT 0,
  CONSTRAINT product_ratings_nonnegative CHECK (reviews_count >= 0 AND stars_total >= 0),
  CONSTRAINT product_ratings_consistent CHECK (stars_total BETWEEN reviews_count AND 5 * reviews_count)
);
