-- Pairs of targets of different brands that recognition found nearly identical (one image registered by two brands),
-- recorded both ways when the later one is graded. A target is shown as shared while its partner is active.
CREATE TABLE target_shares (
    target_id uuid NOT NULL,
    other_target_id uuid NOT NULL,
    PRIMARY KEY (target_id, other_target_id)
);
