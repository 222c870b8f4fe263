-- After-sales tickets (docs/support.md): a buyer (account, or guest through the order's access
-- token) opens a ticket on an order or on one key of it; buyer and merchant exchange messages,
-- each side's read mark is the last message id it has read; attachments are stored encrypted
-- under the shop's data key. Disputes (another area) refer to a ticket by support_tickets.id.

CREATE TABLE support_tickets (
  id                        bigserial PRIMARY KEY,
  order_id                  text NOT NULL REFERENCES orders(id),
  shop_id                   bigint NOT NULL REFERENCES shops(id),
  -- One key of the order, or null for the whole order.
  key_id                    bigint REFERENCES keys(id),
  -- The account that opened it, or null when a guest opened it with the order's access token.
  buyer_account_id          bigint REFERENCES accounts(id),
  category                  text NOT NULL,
  subject                   text NOT NULL,
  state                     text NOT NULL DEFAULT 'open',
  -- The language of the buyer's mails (a guest has no account whose locale could say).
  buyer_locale              text NOT NULL DEFAULT 'zh-CN',
  -- The SLA: the merchant's first reply is due by then (SUPPORT_FIRST_REPLY_SECONDS after opening).
  first_reply_due_at        timestamptz NOT NULL,
  merchant_first_reply_at   timestamptz,
  -- Read state: the last message id each side has read (its own messages count as read).
  buyer_read_message_id     bigint NOT NULL DEFAULT 0,
  merchant_read_message_id  bigint NOT NULL DEFAULT 0,
  last_message_id           bigint NOT NULL DEFAULT 0,
  last_message_at           timestamptz NOT NULL DEFAULT now(),
  closed_at                 timestamptz,
  closed_by                 text,
  created_at                timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT support_tickets_category_known CHECK (category IN ('key_invalid', 'key_already_used', 'wrong_product', 'not_received', 'other')),
  CONSTRAINT support_tickets_state_known CHECK (state IN ('open', 'closed')),
  CONSTRAINT support_tickets_locale_known CHECK (buyer_locale IN ('zh-CN', 'en')),
  CONSTRAINT support_tickets_closed_consistent CHECK ((state = 'closed') = (closed_at IS NOT NULL AND closed_by IN ('buyer', 'merchant'))),
  CONSTRAINT support_tickets_first_reply_after_open CHECK (merchant_first_reply_at IS NULL OR merchant_first_reply_at >= created_at),
  CONSTRAINT support_tickets_read_marks CHECK (buyer_read_message_id <= last_message_id AND merchant_read_message_id <= last_message_id)
);
-- One open ticket per order and key (0 stands for the whole order): a double-clicked "open"
-- makes one ticket, and the second gets a conflict naming the first.
CREATE UNIQUE INDEX support_tickets_one_open ON support_tickets (order_id, coalesce(key_id, 0)) WHERE state = 'open';
CREATE INDEX support_tickets_shop_idx ON support_tickets (shop_id, id DESC);
CREATE INDEX support_tickets_buyer_idx ON support_tickets (buyer_account_id, id DESC) WHERE buyer_account_id IS NOT NULL;
CREATE INDEX support_tickets_order_idx ON support_tickets (order_id);
-- Per-shop median first-reply time reads the answered tickets of a shop.
CREATE INDEX support_tickets_answered_idx ON support_tickets (shop_id) WHERE merchant_first_reply_at IS NOT NULL;

CREATE TABLE support_ticket_messages (
  id                 bigserial PRIMARY KEY,
  ticket_id          bigint NOT NULL REFERENCES support_tickets(id),
  author             text NOT NULL,
  -- The merchant (or a guest buyer: null) who wrote it.
  author_account_id  bigint REFERENCES accounts(id),
  body               text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT support_ticket_messages_author_known CHECK (author IN ('buyer', 'merchant')),
  CONSTRAINT support_ticket_messages_body_length CHECK (char_length(body) <= 4000)
);
CREATE INDEX support_ticket_messages_ticket_idx ON support_ticket_messages (ticket_id, id);

-- One attachment per message: an upload is a message of its own, so nothing is ever pending.
CREATE TABLE support_ticket_attachments (
  id              bigserial PRIMARY KEY,
  ticket_id       bigint NOT NULL REFERENCES support_tickets(id),
  message_id      bigint NOT NULL UNIQUE REFERENCES support_ticket_messages(id),
  file_name       text NOT NULL,
  -- The type found in the content (never the one the uploader declared).
  content_type    text NOT NULL,
  size_bytes      integer NOT NULL,
  -- AES-256-GCM under the shop's data key, AAD "keyledger/ticket-attachment/v1|shop=..|ticket=..|message=.." (api/keys/envelope.ts).
  ciphertext      bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT support_ticket_attachments_type_known CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain')),
  CONSTRAINT support_ticket_attachments_size_positive CHECK (size_bytes > 0)
);
CREATE INDEX support_ticket_attachments_ticket_idx ON support_ticket_attachments (ticket_id);

-- A merchant's canned replies, per shop.
CREATE TABLE support_canned_replies (
  id          bigserial PRIMARY KEY,
  shop_id     bigint NOT NULL REFERENCES shops(id),
  title       text NOT NULL,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT support_canned_replies_title_length CHECK (char_length(title) BETWEEN 1 AND 100),
  CONSTRAINT support_canned_replies_body_length CHECK (char_length(body) BETWEEN 1 AND 4000)
);
CREATE INDEX support_canned_replies_shop_idx ON support_canned_replies (shop_id, id);
