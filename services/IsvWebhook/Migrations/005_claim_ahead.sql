-- Claims rank the head of the due queue from this index (what is due, for which endpoint) and check the lease on the
-- row: locked_until stays out of every index, so that a claim's update can stay on its page (HOT), and room is left
-- on every page for it.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) INCLUDE (endpoint_id, id) WHERE status = 'pending';
ALTER TABLE deliveries SET (fillfactor = 70);
