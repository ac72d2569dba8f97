-- An admin may disable a tenant: its keys are refused (though not revoked, so enabling restores them) and its
-- campaigns leave the rule cache.
ALTER TABLE tenants ADD COLUMN disabled_at timestamptz;
