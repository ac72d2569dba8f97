-- The record of truth for every accepted scan. Each row is also its own outbox: `submitted` turns true once
-- ScanSubmitted is confirmed by the broker, and the relay sends the rows that stayed false.
CREATE TABLE scans (
    id uuid PRIMARY KEY,
    app_tenant_id uuid NOT NULL,
    idempotency_key text,
    user_id text NOT NULL,
    device_id text NOT NULL,
    lat double precision,
    lon double precision,
    image_key text NOT NULL,
    submitted boolean NOT NULL DEFAULT false,
    status text NOT NULL,
    outcome text,
    detail text,
    result jsonb,
    trace_id text,
    created_at timestamptz NOT NULL,
    resolved_at timestamptz
);
-- The Idempotency-Key claim and the scan are one row, so they are written together or not at all.
CREATE UNIQUE INDEX scans_idempotency ON scans (app_tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX scans_unsubmitted ON scans (created_at) WHERE NOT submitted;
CREATE INDEX scans_processing ON scans (created_at) WHERE status = 'processing';
