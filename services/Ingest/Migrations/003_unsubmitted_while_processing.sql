-- Confirmations are marked a second late and only on scans still processing (ScanSubmissionMarks): most scans resolve
-- sooner and are never marked, which saves an update of every row. The relay sends only scans still processing, so its
-- index holds only those. (On a large table this index build blocks writes to scans while it runs.)
DROP INDEX scans_unsubmitted;
CREATE INDEX scans_unsubmitted ON scans (created_at) WHERE NOT submitted AND status = 'processing';
