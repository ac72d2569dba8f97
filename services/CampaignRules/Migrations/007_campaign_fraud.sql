-- The campaign's fraud policy ({"recapture": "refuse" | "flag" | "ignore", "duplicateImage": ...}); null refuses both.
ALTER TABLE campaigns ADD COLUMN fraud jsonb;
