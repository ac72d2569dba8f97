-- Features of accepted targets, so a new worker loads its index without re-extracting anything.
CREATE TABLE target_features (
    target_id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    width int NOT NULL,
    height int NOT NULL,
    grade int NOT NULL,
    keypoints bytea NOT NULL,   -- float32 x, y per feature
    descriptors bytea NOT NULL, -- 32-byte ORB descriptor per feature
    created_at timestamptz NOT NULL DEFAULT now()
);
