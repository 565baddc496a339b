-- Ids are never handed out twice: `INTEGER PRIMARY KEY` alone reuses the highest id once its row is
-- gone (a pruned outbox restarted at 1; an old link could 301 to a different article), AUTOINCREMENT
-- does not. SQLite can't add it to a table, so the five tables are rebuilt, keeping rows and keys.
--
-- The migration runs in a transaction, where `PRAGMA foreign_keys` can't be switched off. Instead:
-- foreign keys are checked at commit (`defer_foreign_keys`); the tables whose rows would cascade
-- away with a dropped parent (article_tags, article_views_daily) are set aside and rebuilt too; and
-- each table is dropped before its new version takes its name, so inserting the rows back settles
-- the references the drops left open.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE old_categories AS SELECT * FROM categories;
CREATE TEMP TABLE old_tags AS SELECT * FROM tags;
CREATE TEMP TABLE old_articles AS SELECT * FROM articles;
CREATE TEMP TABLE old_article_tags AS SELECT * FROM article_tags;
CREATE TEMP TABLE old_pages AS SELECT * FROM pages;
CREATE TEMP TABLE old_article_views_daily AS SELECT * FROM article_views_daily;
CREATE TEMP TABLE old_outbox AS SELECT * FROM outbox;

-- Children before parents: nothing cascades.
DROP TABLE article_tags;
DROP TABLE article_views_daily;
DROP TABLE articles;
DROP TABLE tags;
DROP TABLE categories;
DROP TABLE pages;
DROP TABLE outbox;

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id BIGINT REFERENCES categories(id),
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    in_menu BOOLEAN NOT NULL DEFAULT TRUE,
    is_sample BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    cover_url TEXT NOT NULL DEFAULT '',
    cover_caption TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    byline TEXT NOT NULL DEFAULT '',
    source_name TEXT NOT NULL DEFAULT '',
    source_url TEXT NOT NULL DEFAULT '',
    category_id BIGINT NOT NULL REFERENCES categories(id),
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL,
    is_sample BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    published_at TEXT,
    updated_at TEXT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX articles_published ON articles (status, published_at);
CREATE INDEX articles_category ON articles (category_id, status, published_at);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags (tag_id, article_id);

CREATE TABLE pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    in_menu BOOLEAN NOT NULL DEFAULT TRUE,
    is_sample BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE article_views_daily (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    views BIGINT NOT NULL,
    PRIMARY KEY (article_id, day)
);
CREATE INDEX article_views_daily_day ON article_views_daily (day);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    change TEXT NOT NULL,
    created_at TEXT NOT NULL
);

INSERT INTO categories (id, parent_id, name, slug, description, position, in_menu, is_sample, created_at, updated_at)
    SELECT id, parent_id, name, slug, description, position, in_menu, is_sample, created_at, updated_at
    FROM old_categories;
INSERT INTO tags (id, name, slug) SELECT id, name, slug FROM old_tags;
INSERT INTO articles (id, title, slug, summary, body, cover_url, cover_caption, author, byline, source_name,
    source_url, category_id, featured, status, is_sample, created_at, published_at, updated_at, views)
    SELECT id, title, slug, summary, body, cover_url, cover_caption, author, byline, source_name,
    source_url, category_id, featured, status, is_sample, created_at, published_at, updated_at, views
    FROM old_articles;
INSERT INTO article_tags (article_id, tag_id) SELECT article_id, tag_id FROM old_article_tags;
INSERT INTO pages (id, title, slug, body, position, in_menu, is_sample, created_at, updated_at)
    SELECT id, title, slug, body, position, in_menu, is_sample, created_at, updated_at FROM old_pages;
INSERT INTO article_views_daily (article_id, day, views) SELECT article_id, day, views FROM old_article_views_daily;
INSERT INTO outbox (id, change, created_at) SELECT id, change, created_at FROM old_outbox;

DROP TABLE old_categories;
DROP TABLE old_tags;
DROP TABLE old_articles;
DROP TABLE old_article_tags;
DROP TABLE old_pages;
DROP TABLE old_article_views_daily;
DROP TABLE old_outbox;

-- Every stored time is UTC in whole seconds (`2026-11-30T03:30:00Z`), as sen now writes them: SQLite
-- compares these texts, which orders instants only when offset and precision agree. The fraction is
-- cut off as text (SQLite's date functions would round it to milliseconds), then the offset applied;
-- a text SQLite can't read stays as it was.
UPDATE site SET updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(updated_at, 1, 19) || CASE WHEN updated_at LIKE '%Z' THEN 'Z' ELSE substr(updated_at, -6) END), updated_at);
UPDATE categories SET created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(created_at, 1, 19) || CASE WHEN created_at LIKE '%Z' THEN 'Z' ELSE substr(created_at, -6) END), created_at),
    updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(updated_at, 1, 19) || CASE WHEN updated_at LIKE '%Z' THEN 'Z' ELSE substr(updated_at, -6) END), updated_at);
UPDATE articles SET created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(created_at, 1, 19) || CASE WHEN created_at LIKE '%Z' THEN 'Z' ELSE substr(created_at, -6) END), created_at),
    published_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(published_at, 1, 19) || CASE WHEN published_at LIKE '%Z' THEN 'Z' ELSE substr(published_at, -6) END), published_at),
    updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(updated_at, 1, 19) || CASE WHEN updated_at LIKE '%Z' THEN 'Z' ELSE substr(updated_at, -6) END), updated_at);
UPDATE pages SET created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(created_at, 1, 19) || CASE WHEN created_at LIKE '%Z' THEN 'Z' ELSE substr(created_at, -6) END), created_at),
    updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(updated_at, 1, 19) || CASE WHEN updated_at LIKE '%Z' THEN 'Z' ELSE substr(updated_at, -6) END), updated_at);
UPDATE node_presence SET updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(updated_at, 1, 19) || CASE WHEN updated_at LIKE '%Z' THEN 'Z' ELSE substr(updated_at, -6) END), updated_at);
UPDATE outbox SET created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(created_at, 1, 19) || CASE WHEN created_at LIKE '%Z' THEN 'Z' ELSE substr(created_at, -6) END), created_at);
UPDATE media SET created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%SZ', substr(created_at, 1, 19) || CASE WHEN created_at LIKE '%Z' THEN 'Z' ELSE substr(created_at, -6) END), created_at);
