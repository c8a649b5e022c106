-- The admin portal (DESIGN.md section 3): accounts, sessions, login throttling, the audit
-- log, product images and alert thresholds, and the indexes the portal's queries need.
--
-- Nothing here lives in a vend-cloud process: any instance serves any request.

CREATE TABLE accounts (
  id             bigserial   PRIMARY KEY,
  username       text        NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
  email          text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  -- libsodium crypto_pwhash_str (argon2id), self-describing: "$argon2id$v=19$m=...".
  password_hash  text        NOT NULL,
  role           integer     NOT NULL DEFAULT 100 CHECK (role IN (100, 300)),
  approved       boolean     NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  approved_at    timestamptz,
  approved_by    bigint      REFERENCES accounts (id)
);
-- Names and e-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

-- A session is a random token held by the browser in an HttpOnly cookie; only its
-- SHA-256 is stored, so a database leak does not leak usable sessions. The CSRF token
-- is sent back in a header on every mutating request.
CREATE TABLE sessions (
  token_hash    bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
  account_id    bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  csrf_token    text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  remote_addr   text        NOT NULL DEFAULT '',
  user_agent    text        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Every login attempt, for rate limiting by user name and by client address.
CREATE TABLE login_attempts (
  id           bigserial   PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  username     text        NOT NULL,
  remote_addr  text        NOT NULL,
  ok           boolean     NOT NULL
);
CREATE INDEX login_attempts_by_user ON login_attempts (lower(username), at);
CREATE INDEX login_attempts_by_addr ON login_attempts (remote_addr, at);

-- Every change made through the admin API, written in the transaction of the change.
CREATE TABLE audit_log (
  id                bigserial   PRIMARY KEY,
  at                timestamptz NOT NULL DEFAULT now(),
  actor_id          bigint      REFERENCES accounts (id),
  actor_username    text        NOT NULL,
  action            text        NOT NULL,  -- e.g. "product.update", "account.approve"
  target            text        NOT NULL,  -- e.g. "product:7", "machine:M-1/product:3"
  before            jsonb,
  after             jsonb,
  request_id        text        NOT NULL DEFAULT '',
  remote_addr       text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, at DESC);

-- Low-stock alerts fire when a machine's count of the product is below this.
ALTER TABLE products
  ADD COLUMN low_stock_threshold bigint NOT NULL DEFAULT 3 CHECK (low_stock_threshold >= 0);

-- Uploaded product images, served by any instance.
CREATE TABLE product_images (
  product_id    bigint      PRIMARY KEY REFERENCES products (id),
  content_type  text        NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg',
                                                              'image/webp', 'image/gif')),
  data          bytea       NOT NULL,
  sha256        text        NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Orders page: newest first with a keyset cursor (created_at, machine_id, order_id),
-- alone or filtered by machine, product, customer or status.
CREATE INDEX orders_page ON orders (created_at DESC, machine_id DESC, order_id DESC);
CREATE INDEX orders_by_machine ON orders (machine_id, created_at DESC, order_id DESC);
CREATE INDEX orders_by_product ON orders (product_id, created_at DESC);
CREATE INDEX orders_by_customer ON orders (user_name, created_at DESC);
CREATE INDEX orders_refunded ON orders (created_at DESC) WHERE status = 'refunded';
DROP INDEX orders_by_time;
