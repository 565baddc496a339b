-- A file replaced in the library keeps its address: the old key answers a redirect to the file
-- that replaced it (and to its variants), so links from outside the portal keep working.
CREATE TABLE media_aliases (
    key TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX media_aliases_target ON media_aliases (target);

-- The library is searched by name, alt text and caption with or without Vietnamese diacritics:
-- the three folded to lower-case ASCII (filled by sen as files are added and described).
ALTER TABLE media_files ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

-- Variants now come in JPEG and WebP: images whose variants were made before are made again at
-- the next start (until then their addresses answer the JPEG, which is there).
UPDATE media_files SET variants_state = 'pending'
    WHERE class = 'image' AND variants_state = 'done' AND variant_widths <> '';
