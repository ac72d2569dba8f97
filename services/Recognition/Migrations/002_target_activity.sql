-- A deactivated target keeps its features but is not matched. active_changed_at is the brand's time of the last
-- change applied, so a late or redelivered older event cannot undo a newer one.
ALTER TABLE target_features
    ADD COLUMN active boolean NOT NULL DEFAULT true,
    ADD COLUMN active_changed_at timestamptz NOT NULL DEFAULT '-infinity';
