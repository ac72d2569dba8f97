CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('brand', 'isv', 'app')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of each key is kept; the key itself is shown once, at creation.
CREATE TABLE api_keys (
    key_hash bytea PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE targets (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    name text NOT NULL,
    status text NOT NULL,
    grade int,
    reason text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX targets_tenant ON targets (tenant_id, created_at);

CREATE TABLE campaigns (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    name text NOT NULL,
    status text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    priority int NOT NULL DEFAULT 0,
    reward jsonb NOT NULL,
    limits jsonb NOT NULL,
    geo_fence jsonb,
    action jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_tenant ON campaigns (tenant_id, created_at);

CREATE TABLE campaign_targets (
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    target_id uuid NOT NULL REFERENCES targets (id),
    PRIMARY KEY (campaign_id, target_id)
);
CREATE INDEX campaign_targets_target ON campaign_targets (target_id);

-- Filled from RewardIssued events; one row per scan, so a redelivered event counts once.
CREATE TABLE issued_rewards (
    scan_id uuid PRIMARY KEY,
    campaign_id uuid NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issued_rewards_campaign ON issued_rewards (campaign_id);
