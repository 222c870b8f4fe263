-- Order access tokens can be revoked: a token names the order's access generation it was
-- issued under, and revoking raises the generation, so every earlier token (the mail link,
-- the checkout's token, the gateway's return token) stops working at once. A constant
-- default makes this an instant catalog change, not a table rewrite.
ALTER TABLE orders ADD COLUMN access_generation integer NOT NULL DEFAULT 0;
ALTER TABLE orders ADD CONSTRAINT orders_access_generation_nonnegative CHECK (access_generation >= 0) NOT VALID;
