-- The SQLite migration of the same name rebuilds tables so their ids are never reused; identity
-- columns on PostgreSQL never hand out an id twice already.
SELECT 1;
