-- The media library: what is known of each file (its bytes live in the media storage, a local
-- directory or an S3-compatible bucket, under the same key). The old table of bytes stays until
-- each row has moved to the storage (a step that runs at start-up and may run again).
CREATE TABLE media_files (
    id INTEGER PRIMARY KEY,
    -- The storage key: the content's hash, then a readable name; also the public /media/ path.
    key TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    -- image, document, audio or video.
    class TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    pages INTEGER,
    -- SHA-256 of the stored bytes, hex.
    checksum TEXT NOT NULL,
    -- The name it was uploaded with, as the downloader's file name.
    original_name TEXT NOT NULL DEFAULT '',
    alt TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    -- The widths of the variants made so far, e.g. "320,640,1024"; empty until they are made.
    variant_widths TEXT NOT NULL DEFAULT '',
    -- pending, done or failed (not an image: none).
    variants_state TEXT NOT NULL DEFAULT 'none',
    is_sample BOOLEAN NOT NULL DEFAULT FALSE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX media_files_class ON media_files (class, created_at);
CREATE INDEX media_files_pending ON media_files (variants_state);
