-- Slugs a category or page had before it was renamed: their old addresses answer 301 to the
-- current one. A slug taken again by a category (or page) leaves this table; a deleted one takes
-- its old slugs with it.
CREATE TABLE category_slugs (
    slug TEXT PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX category_slugs_category ON category_slugs (category_id);

CREATE TABLE page_slugs (
    slug TEXT PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX page_slugs_page ON page_slugs (page_id);
