-- The article desk: who wrote an article, its version for saves that must not overwrite another's,
-- scheduled unpublishing, the editor's comment, corrections, the trash; every saved state of an
-- article as a revision; and the lease that lets one node run the scheduler.
ALTER TABLE articles ADD COLUMN author_id BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE articles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE articles ADD COLUMN unpublish_at TEXT;
ALTER TABLE articles ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN correction_note TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN corrected_at TEXT;
ALTER TABLE articles ADD COLUMN trashed_at TEXT;
ALTER TABLE articles ADD COLUMN trashed_from TEXT;
ALTER TABLE articles ADD COLUMN updated_by BIGINT REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX articles_author ON articles (author_id, status);
CREATE INDEX articles_updated ON articles (updated_at);
-- What the scheduler looks for: scheduled publications and unpublications.
CREATE INDEX articles_unpublish ON articles (unpublish_at);

-- One row per saved state. Autosaves of a draft by one person fold into their last autosave.
CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    -- The article's version this revision holds.
    version BIGINT NOT NULL,
    -- create, save, autosave, correction, restore, or a workflow action (submit, publish, …).
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    actor_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    actor_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- An autosave revision takes the autosaves of the next 10 minutes from this time on.
    folded_since TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The other fields (category, tags, byline, source, cover, times…) as JSON.
    fields TEXT NOT NULL
);
CREATE INDEX article_revisions_article ON article_revisions (article_id, id);

-- The scheduler's progress: articles whose publication time is at or before this instant have
-- been announced (their pages and lists dropped from every node's cache, the audit entry written).
CREATE TABLE scheduler_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    announced_through TEXT NOT NULL
);

-- Named leases: whoever holds an unexpired one does the job (the scheduler) for every node.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
