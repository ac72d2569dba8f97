-- Claims read the head of the due queue from the index alone (what is due, for which endpoint, whether leased),
-- and room left on every page lets most updates of a delivery stay on its page (HOT).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) INCLUDE (endpoint_id, locked_until, id) WHERE status = 'pending';
ALTER TABLE deliveries SET (fillfactor = 70);
