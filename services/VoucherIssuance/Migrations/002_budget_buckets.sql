-- A campaign's budget split into buckets, each with its own row lock, so issuing runs in parallel within a
-- campaign while the sum of quotas stays the budget. Quota moves between buckets only under all their locks.
CREATE TABLE voucher_campaigns (
    campaign_id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    budget int NOT NULL CHECK (budget > 0),
    pool_cents bigint CHECK (pool_cents > 0),
    buckets int NOT NULL CHECK (buckets > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE voucher_buckets (
    campaign_id uuid NOT NULL REFERENCES voucher_campaigns (campaign_id),
    bucket int NOT NULL,
    quota int NOT NULL,
    issued int NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, bucket),
    CHECK (issued >= 0 AND issued <= quota)
);

-- Red-envelope amounts, split once when the campaign's first reward is requested; claimed by scan.
CREATE TABLE red_envelopes (
    campaign_id uuid NOT NULL REFERENCES voucher_campaigns (campaign_id),
    seq int NOT NULL,
    bucket int NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    scan_id uuid UNIQUE,
    PRIMARY KEY (campaign_id, seq)
);
CREATE INDEX red_envelopes_unclaimed ON red_envelopes (campaign_id, bucket, seq) WHERE scan_id IS NULL;

INSERT INTO voucher_campaigns (campaign_id, tenant_id, budget, buckets)
    SELECT campaign_id, tenant_id, greatest(budget, issued, 1), 1 FROM campaign_budgets;
INSERT INTO voucher_buckets (campaign_id, bucket, quota, issued)
    SELECT campaign_id, 0, greatest(budget, issued, 1), issued FROM campaign_budgets;

ALTER TABLE vouchers DROP CONSTRAINT vouchers_campaign_id_fkey;
ALTER TABLE vouchers ADD COLUMN bucket int NOT NULL DEFAULT 0;
ALTER TABLE vouchers ADD CONSTRAINT vouchers_campaign_fkey FOREIGN KEY (campaign_id) REFERENCES voucher_campaigns (campaign_id);
DROP TABLE campaign_budgets;
