-- Filled from ScanResolved events of the scans a campaign applied to, for the brand's dashboard
-- (GET /v1/campaigns/{id}/stats). One row per scan, so a redelivered event counts once.
CREATE TABLE campaign_scan_outcomes (
    scan_id uuid PRIMARY KEY,
    campaign_id uuid NOT NULL,
    outcome text NOT NULL,
    resolved_at timestamptz NOT NULL
);
CREATE INDEX campaign_scan_outcomes_campaign ON campaign_scan_outcomes (campaign_id, resolved_at);
