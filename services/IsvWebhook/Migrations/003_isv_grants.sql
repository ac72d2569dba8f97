-- Brands that let an ISV receive their events (from campaign-rules' IsvGrantChanged). The newest change wins,
-- whatever order the events arrive in.
CREATE TABLE isv_grants (
    brand_tenant_id uuid NOT NULL,
    isv_tenant_id uuid NOT NULL,
    granted boolean NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (brand_tenant_id, isv_tenant_id)
);
