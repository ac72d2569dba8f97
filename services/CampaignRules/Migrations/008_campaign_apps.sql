-- The app tenants a campaign serves; NULL means every app.
ALTER TABLE campaigns ADD COLUMN apps uuid[];
