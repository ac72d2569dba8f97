-- One of the brand's own targets that recognition found nearly identical to this one (scans of either are ambiguous).
ALTER TABLE targets ADD COLUMN near_duplicate_of uuid;
