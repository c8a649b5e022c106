-- Edge side of the sync protocol (DESIGN.md section 4, rules 4 and 5).

-- The command inbox: one row per cloud command id ever handled, written in the same
-- transaction as the command's effects and its outcome event, so a command is applied
-- at most once and a repeat of its id is recognised (and not re-applied) forever.
-- seq is the seq of its command.applied / command.rejected event.
CREATE TABLE applied_commands (
  id          TEXT    PRIMARY KEY,
  type        TEXT    NOT NULL,
  outcome     TEXT    NOT NULL CHECK (outcome IN ('applied', 'rejected')),
  reason      TEXT,
  seq         INTEGER NOT NULL CHECK (seq > 0),
  applied_at  TEXT    NOT NULL
);

-- Agent settings changed by the cloud's config.set (keys: schemas::kConfigKeys). A stored
-- value wins over the command-line default, so a restart keeps what the admin set.
CREATE TABLE config (
  key         TEXT    PRIMARY KEY,
  value       INTEGER NOT NULL,
  updated_at  TEXT    NOT NULL
);

-- Products removed by the cloud's product.remove. The row leaves `products` (the kiosk
-- no longer lists or sells it); this tombstone keeps a --catalog seed file from
-- bringing it back at the next start. A later product.upsert of the id clears it.
CREATE TABLE removed_products (
  id          INTEGER PRIMARY KEY CHECK (id > 0),
  removed_at  TEXT    NOT NULL
);
