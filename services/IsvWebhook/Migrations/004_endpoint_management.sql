-- A per-endpoint rate limit (requests per second; NULL: Webhooks:Isolation:RatePerSecond).
ALTER TABLE endpoints ADD COLUMN rate_limit_per_second int;

-- Deleting an endpoint deletes its deliveries (and, through them, their attempts).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_endpoint_id_fkey,
    ADD CONSTRAINT deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES endpoints (id) ON DELETE CASCADE;

-- The Data Protection key ring that encrypts endpoints.secret and previous_secret (PostgresXmlRepository).
CREATE TABLE data_protection_keys (
    friendly_name text PRIMARY KEY,
    xml text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
