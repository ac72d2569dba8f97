-- A target's ink shapes (see Shapes.Serialize): flat logos with too few corners are recognised by them. Targets stored
-- before them have none and are matched by features and outline alone.
ALTER TABLE target_features ADD COLUMN shapes bytea;
