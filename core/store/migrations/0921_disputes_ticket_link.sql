-- A dispute names the support ticket it grew out of (docs/disputes.md). The disputes and the
-- tickets were built side by side: ticket_id was a placeholder uuid without a foreign key, while
-- support_tickets.id is a bigserial. It becomes a bigint referencing the ticket; openDispute
-- checks that the ticket is one of the disputed order's.
ALTER TABLE disputes DROP COLUMN ticket_id;
ALTER TABLE disputes ADD COLUMN ticket_id bigint REFERENCES support_tickets(id);
