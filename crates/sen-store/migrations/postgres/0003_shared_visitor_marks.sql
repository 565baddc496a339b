-- One visitor counts once whichever node each request lands on: every node books, with its counts,
-- the visitors it saw and the views by visitors with a cookie, and these rows settle duplicates.
-- Times are Unix seconds; visitor keys are 64-bit hashes stored as BIGINT.
CREATE TABLE visitor_seen (
    visitor BIGINT PRIMARY KEY,
    -- When the visit this visitor is in began, and their last request: a gap of over 30 minutes
    -- starts a new visit.
    visit_start BIGINT NOT NULL,
    -- Which node's count of that visit stands: the nonce it booked the visit with.
    visit_id BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    -- FALSE once a cookie took over from the address hash a first request was counted under.
    online BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX visitor_seen_last_at ON visitor_seen (last_at);

CREATE TABLE view_marks (
    visitor BIGINT NOT NULL,
    article_id BIGINT NOT NULL,
    -- When this visitor's view of this article last counted.
    counted_at BIGINT NOT NULL,
    PRIMARY KEY (visitor, article_id)
);
CREATE INDEX view_marks_counted_at ON view_marks (counted_at);

-- Online visitors are counted from visitor_seen, once each over all nodes.
DROP TABLE node_presence;
