-- The SQLite migration of the same name rebuilds tables so their ids are never reused; identity
-- columns on PostgreSQL never hand out an id twice already.
--
-- Every stored time is whole seconds, as sen now writes them (TIMESTAMPTZ kept microseconds).
UPDATE site SET updated_at = date_trunc('second', updated_at, 'UTC');
UPDATE categories SET created_at = date_trunc('second', created_at, 'UTC'), updated_at = date_trunc('second', updated_at, 'UTC');
UPDATE articles SET created_at = date_trunc('second', created_at, 'UTC'), published_at = date_trunc('second', published_at, 'UTC'), updated_at = date_trunc('second', updated_at, 'UTC');
UPDATE pages SET created_at = date_trunc('second', created_at, 'UTC'), updated_at = date_trunc('second', updated_at, 'UTC');
UPDATE node_presence SET updated_at = date_trunc('second', updated_at, 'UTC');
UPDATE outbox SET created_at = date_trunc('second', created_at, 'UTC');
UPDATE media SET created_at = date_trunc('second', created_at, 'UTC');
