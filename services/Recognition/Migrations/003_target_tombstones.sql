-- A deleted target keeps its row as a tombstone (deleted_at set, features dropped): a save that arrives after the
-- delete (a target graded while the brand deleted it) conflicts with the row and cannot store the target again.
ALTER TABLE target_features
    ADD COLUMN deleted_at timestamptz,
    ALTER COLUMN width DROP NOT NULL,
    ALTER COLUMN height DROP NOT NULL,
    ALTER COLUMN grade DROP NOT NULL,
    ALTER COLUMN keypoints DROP NOT NULL,
    ALTER COLUMN descriptors DROP NOT NULL,
    ADD CONSTRAINT target_features_stored_or_deleted CHECK (deleted_at IS NOT NULL OR
        (width IS NOT NULL AND height IS NOT NULL AND grade IS NOT NULL AND keypoints IS NOT NULL AND descriptors IS NOT NULL));
