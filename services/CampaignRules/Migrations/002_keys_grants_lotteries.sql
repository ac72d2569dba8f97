-- Keys get an id so a tenant can list and revoke them (rotation: a new key, the old one valid until revoked).
ALTER TABLE api_keys ADD COLUMN id uuid;
UPDATE api_keys SET id = gen_random_uuid();
ALTER TABLE api_keys ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- A brand lets an ISV read its campaigns and receive their webhooks.
CREATE TABLE isv_grants (
    brand_tenant_id uuid NOT NULL REFERENCES tenants (id),
    isv_tenant_id uuid NOT NULL REFERENCES tenants (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (brand_tenant_id, isv_tenant_id)
);
CREATE INDEX isv_grants_isv ON isv_grants (isv_tenant_id);

ALTER TABLE campaigns
    ADD COLUMN win_probability double precision NOT NULL DEFAULT 1,
    ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC',
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
