-- Unpaid reservations are limited (issue 14: two unpaid guest checkouts of 10 held a 20-key
-- product's whole stock for 15 minutes). A checkout counts the open unpaid orders of its
-- contact (the guest's email, or the buyer's account) and of its client address under a
-- transaction-level advisory lock per subject (api/services/orders/unpaidHolds.ts); these
-- partial indexes keep those counts to the few unpaid rows of one subject.
ALTER TABLE orders ADD COLUMN client_address text;

CREATE INDEX orders_unpaid_contact_idx ON orders (contact) WHERE state = 'awaiting_payment' AND buyer_account_id IS NULL;
CREATE INDEX orders_unpaid_buyer_idx ON orders (buyer_account_id) WHERE state = 'awaiting_payment' AND buyer_account_id IS NOT NULL;
CREATE INDEX orders_unpaid_client_idx ON orders (client_address) WHERE state = 'awaiting_payment' AND client_address IS NOT NULL;
-- The keys a product's unpaid orders hold (pressure: a shorter expiry when they are many).
CREATE INDEX orders_unpaid_product_idx ON orders (product_id) INCLUDE (quantity) WHERE state = 'awaiting_payment';
