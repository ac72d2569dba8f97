-- Secret rotation: the previous secret keeps signing (beside the new one) until previous_secret_expires_at.
ALTER TABLE endpoints ADD COLUMN previous_secret text;
ALTER TABLE endpoints ADD COLUMN previous_secret_expires_at timestamptz;
-- The start of the current run of failed attempts (NULL after a success): long enough, and the endpoint is disabled.
ALTER TABLE endpoints ADD COLUMN failing_since timestamptz;

-- Retention removes finished deliveries by age; attempts go with their delivery.
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_delivery_id_fkey,
    ADD CONSTRAINT delivery_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES deliveries (id) ON DELETE CASCADE;
CREATE INDEX deliveries_finished ON deliveries (created_at) WHERE status <> 'pending';
