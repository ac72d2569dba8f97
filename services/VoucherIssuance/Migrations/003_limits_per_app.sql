-- Limits count per app (app tenant): one user id in two apps is two users. Vouchers recorded before this have no app
-- (NULL) and count against the user and device of that id in every app, so no limit is exceeded by the upgrade.
ALTER TABLE vouchers ADD COLUMN app_tenant_id uuid;

-- The limit counts read (campaign, user or device) and filter on the app within it; with every column they read in
-- the index they are index-only scans. These replace the indexes without the app.
CREATE INDEX vouchers_campaign_user_app ON vouchers (campaign_id, user_id, app_tenant_id, issued_at);
CREATE INDEX vouchers_campaign_device_app ON vouchers (campaign_id, device_id, app_tenant_id);
DROP INDEX vouchers_campaign_user;
DROP INDEX vouchers_campaign_device;
