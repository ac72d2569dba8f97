-- The limit counts' indexes lead with the user or device, and no index of vouchers leads with the campaign: a
-- campaign-led index tempted the planner whenever the statistics were older than the campaign's vouchers (a new
-- campaign is estimated at one row until autoanalyze catches up, which in a festival is late), and each count then
-- read every voucher of the campaign.
CREATE INDEX vouchers_user ON vouchers (user_id, campaign_id, app_tenant_id, issued_at);
CREATE INDEX vouchers_device ON vouchers (device_id, campaign_id, app_tenant_id);
DROP INDEX vouchers_campaign_user_app;
DROP INDEX vouchers_campaign_device_app;
-- Reconciliation's count of each bucket's vouchers.
CREATE INDEX vouchers_bucket ON vouchers (bucket, campaign_id);

-- When a bucket last issued, set with its issued count: which campaigns are active, without reading vouchers.
ALTER TABLE voucher_buckets ADD COLUMN last_issued_at timestamptz;
UPDATE voucher_buckets b SET last_issued_at = v.last
    FROM (SELECT campaign_id, bucket, max(issued_at) AS last FROM vouchers WHERE issued_at > now() - interval '1 day' GROUP BY campaign_id, bucket) AS v
    WHERE b.campaign_id = v.campaign_id AND b.bucket = v.bucket;
