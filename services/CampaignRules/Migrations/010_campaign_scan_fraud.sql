-- The fraud signals a campaign's scan showed under its policy (FraudSignals.Reasons), for its fraud counts.
ALTER TABLE campaign_scan_outcomes ADD COLUMN fraud_reasons text[];
