-- A target's ColourSignature (16 x 16 BGR bytes): features are grey, and targets that differ only in colour are told
-- apart by it. Targets stored before it have none and are matched in grey alone.
ALTER TABLE target_features ADD COLUMN colour bytea;
