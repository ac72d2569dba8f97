-- An Idempotency-Key is bound to the request that claimed it: SHA-256 over the user, the device and the image's own
-- SHA-256 (ScanRequestHash). A later request with the key but another hash is refused (422) instead of being answered
-- with the first request's scan. Rows from before this column have none and are taken as matching.
ALTER TABLE scans ADD COLUMN request_hash bytea;
