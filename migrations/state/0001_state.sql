-- Embedded live state (used when no REDIS_URL is configured): the in-process store writes
-- every change here so a restart loses no server and no meeting placement.
CREATE TABLE IF NOT EXISTS servers (
    id   TEXT PRIMARY KEY NOT NULL,
    data TEXT NOT NULL            -- the server record as JSON
);

CREATE TABLE IF NOT EXISTS meetings (
    id           TEXT PRIMARY KEY NOT NULL,
    server_id    TEXT NOT NULL,
    moderator_pw TEXT NOT NULL,
    voice_bridge TEXT NOT NULL,
    tenant_id    TEXT,
    expires_at   INTEGER NOT NULL  -- unix seconds
);
CREATE INDEX IF NOT EXISTS meetings_server_id ON meetings (server_id);
