-- Cloud schema: the fleet's central record. Money is integer cents, times are UTC.
--
-- edge_events is the raw log of everything every machine reported; its primary key
-- (machine_id, seq) is the idempotency guard. The projections below it (customers,
-- orders, deposits, stock, command status) are derived from edge_events strictly in seq
-- order per machine: machines.watermark is the highest seq already applied, and events
-- are applied and the watermark advanced in the same transaction, under the machine's
-- row lock. So every projection row reflects each event exactly once.

CREATE TABLE machines (
  id             text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  created_at     timestamptz NOT NULL DEFAULT now(),
  mqtt_username  text        NOT NULL,
  online         boolean     NOT NULL DEFAULT false,
  -- When the current online period began (cloud clock): commands sent before it are
  -- sent again when the machine comes online.
  online_since   timestamptz,
  last_seen      timestamptz,
  agent_version  text,
  -- Highest seq whose event is applied to the projections; every seq <= watermark is
  -- present in edge_events.
  watermark      bigint      NOT NULL DEFAULT 0 CHECK (watermark >= 0)
);

CREATE TABLE edge_events (
  machine_id   text        NOT NULL REFERENCES machines (id),
  seq          bigint      NOT NULL CHECK (seq > 0),
  id           uuid        NOT NULL,
  type         text        NOT NULL,
  at           timestamptz NOT NULL,
  data         jsonb       NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, seq)
);

-- Projections. Keys are the edge's own ids, scoped by machine: each machine numbers its
-- customers, orders and deposits independently. No foreign keys to machines here: every
-- row is derived from edge_events, which has one.
CREATE TABLE customers (
  machine_id   text        NOT NULL,
  customer_id  bigint      NOT NULL,
  user_name    text        NOT NULL,
  balance      bigint      NOT NULL CHECK (balance >= 0),
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (machine_id, customer_id)
);

CREATE TABLE orders (
  machine_id     text        NOT NULL,
  order_id       bigint      NOT NULL,
  uuid           uuid        NOT NULL UNIQUE,
  customer_id    bigint      NOT NULL,
  user_name      text        NOT NULL,
  product_id     bigint      NOT NULL,
  price          bigint      NOT NULL CHECK (price >= 0),
  status         text        NOT NULL CHECK (status IN ('paid', 'refunded')),
  created_at     timestamptz NOT NULL,
  refunded_at    timestamptz,
  refund_amount  bigint      CHECK (refund_amount >= 0),
  PRIMARY KEY (machine_id, order_id)
);
CREATE INDEX orders_by_time ON orders (created_at);

CREATE TABLE deposits (
  machine_id   text        NOT NULL,
  deposit_id   bigint      NOT NULL,
  uuid         uuid        NOT NULL UNIQUE,
  customer_id  bigint      NOT NULL,
  amount       bigint      NOT NULL CHECK (amount > 0),
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (machine_id, deposit_id)
);

-- The edge's last reported count (the edge owns stock; DESIGN.md section 4 rule 5).
CREATE TABLE stock (
  machine_id  text        NOT NULL,
  product_id  bigint      NOT NULL,
  count       bigint      NOT NULL CHECK (count >= 0),
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (machine_id, product_id)
);

-- The catalog is the cloud's. A removed product keeps its row (orders refer to it).
CREATE TABLE products (
  id             bigint      PRIMARY KEY CHECK (id > 0),
  name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  price          bigint      NOT NULL CHECK (price >= 0),
  image          text        NOT NULL DEFAULT '',
  is_refundable  boolean     NOT NULL DEFAULT false,
  removed        boolean     NOT NULL DEFAULT false,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- A machine-specific price replacing the catalog price on that machine.
CREATE TABLE machine_prices (
  machine_id  text        NOT NULL REFERENCES machines (id),
  product_id  bigint      NOT NULL REFERENCES products (id),
  price       bigint      NOT NULL CHECK (price >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, product_id)
);

-- The command outbox. A row is written in the same transaction as the change it
-- carries; it stays 'pending' (and is re-sent) until the machine's command.applied or
-- command.rejected event resolves it. n orders a machine's commands as issued.
CREATE TABLE commands (
  id            uuid        PRIMARY KEY,
  n             bigserial   NOT NULL UNIQUE,
  machine_id    text        NOT NULL REFERENCES machines (id),
  type          text        NOT NULL,
  data          jsonb       NOT NULL,
  status        text        NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'applied', 'rejected')),
  issued_at     timestamptz NOT NULL,
  sent_count    integer     NOT NULL DEFAULT 0,
  last_sent_at  timestamptz,
  resolved_at   timestamptz,
  reason        text
);
CREATE INDEX commands_pending ON commands (machine_id, n) WHERE status = 'pending';

CREATE TABLE telemetry_latest (
  machine_id     text             PRIMARY KEY REFERENCES machines (id),
  at             timestamptz      NOT NULL,
  received_at    timestamptz      NOT NULL DEFAULT now(),
  temperature_c  double precision NOT NULL,
  door_open      boolean          NOT NULL,
  uptime_s       bigint           NOT NULL,
  outbox_depth   bigint           NOT NULL,
  stock          jsonb            NOT NULL,
  version        text             NOT NULL
);

-- History, pruned by received_at after the retention period.
CREATE TABLE telemetry (
  machine_id     text             NOT NULL REFERENCES machines (id),
  at             timestamptz      NOT NULL,
  received_at    timestamptz      NOT NULL DEFAULT now(),
  temperature_c  double precision NOT NULL,
  door_open      boolean          NOT NULL,
  uptime_s       bigint           NOT NULL,
  outbox_depth   bigint           NOT NULL,
  stock          jsonb            NOT NULL,
  version        text             NOT NULL
);
CREATE INDEX telemetry_by_machine ON telemetry (machine_id, at);
CREATE INDEX telemetry_by_received ON telemetry (received_at);
