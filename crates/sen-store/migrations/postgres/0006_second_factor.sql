-- The second factor. The last time step a code was accepted at, so that a code is good once; a
-- session that is pending (the password was right, the code is still to come: it opens nothing
-- but the code page and ends after 5 minutes); and the portal's security settings, one row that
-- every node reads.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE sessions ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE security_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    -- Admins and editors must enrol a second factor before they can do anything else.
    require_second_factor BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO security_settings (id, require_second_factor) VALUES (1, FALSE);
