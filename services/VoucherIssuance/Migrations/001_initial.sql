-- The record of every voucher; Redis is only the fast path in front of it.
CREATE TABLE campaign_budgets (
    campaign_id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    budget int NOT NULL,
    issued int NOT NULL DEFAULT 0
);

CREATE TABLE vouchers (
    code text PRIMARY KEY,
    scan_id uuid NOT NULL UNIQUE,
    campaign_id uuid NOT NULL REFERENCES campaign_budgets (campaign_id),
    tenant_id uuid NOT NULL,
    user_id text NOT NULL,
    device_id text NOT NULL,
    value_cents bigint NOT NULL,
    currency text NOT NULL,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    redeemed_at timestamptz
);
CREATE INDEX vouchers_campaign_user ON vouchers (campaign_id, user_id, issued_at);
CREATE INDEX vouchers_campaign_device ON vouchers (campaign_id, device_id);
