-- Canonical tables (docs/importing.md). Keys are enforced by the importer (anti-joins), not by
-- index constraints, so bulk loads of millions of rows stay fast.
CREATE TABLE IF NOT EXISTS offers (
    seller_id     VARCHAR NOT NULL,
    sku           VARCHAR NOT NULL,
    asin          VARCHAR,
    title         VARCHAR,
    brand         VARCHAR,
    category      VARCHAR,
    subcategory   VARCHAR,
    price         DECIMAL(12, 2),
    fulfilment    VARCHAR,
    created_at    DATE,
    closed_at     DATE,
    closed_reason VARCHAR,
    reinstated_at DATE,
    deleted_at    DATE
);

-- updated_at: when the marketplace last changed the order (All Orders last-updated-date):
-- a later report of the order replaces the stored one only when it is newer.
CREATE TABLE IF NOT EXISTS orders (
    order_id       VARCHAR NOT NULL,
    seller_id      VARCHAR NOT NULL,
    sku            VARCHAR NOT NULL,
    purchase_date  TIMESTAMP NOT NULL,
    quantity       INTEGER NOT NULL,
    status         VARCHAR NOT NULL,
    sold_by_seller BOOLEAN NOT NULL,
    updated_at     TIMESTAMP
);

CREATE TABLE IF NOT EXISTS feedback (
    feedback_id       VARCHAR NOT NULL,
    seller_id         VARCHAR NOT NULL,
    sku               VARCHAR NOT NULL,
    order_id          VARCHAR,
    event_date        TIMESTAMP NOT NULL,
    source            VARCHAR NOT NULL,
    reason_code       VARCHAR,
    rating            TINYINT,
    comment           VARCHAR,
    fulfilment_center VARCHAR
);

-- Recorded seller actions drawn on the trend (DESIGN.md 4.4): edited listing, removed stock,
-- relisted, changed supplier. Optional input; the demo fills it.
CREATE TABLE IF NOT EXISTS actions (
    seller_id   VARCHAR NOT NULL,
    sku         VARCHAR NOT NULL,
    action_date DATE NOT NULL,
    action      VARCHAR NOT NULL,
    note        VARCHAR
);

-- Peer rates a seller brings from outside (a benchmark file): where an offer's group has a
-- row, its rate replaces the one computed from the store (docs/health.md, peer basis).
-- subcategory and price_band NULL: the row is for the whole category (or subcategory).
CREATE TABLE IF NOT EXISTS benchmark (
    category    VARCHAR NOT NULL,
    subcategory VARCHAR,
    price_band  VARCHAR,
    peer_rate   DOUBLE NOT NULL,
    peer_offers INTEGER
);

-- One row per store; data_version is bumped by every import that changed something, so
-- caches keyed on it never go stale. origin: 'demo' or 'import' (demo refuses to replace
-- imported data without --force).
CREATE TABLE IF NOT EXISTS store_meta (
    data_version BIGINT NOT NULL,
    refreshed_at TIMESTAMP,
    origin       VARCHAR
);

-- Columns added after the first version, for stores made by an earlier one.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS updated_at TIMESTAMP;
ALTER TABLE store_meta ADD COLUMN IF NOT EXISTS origin VARCHAR;
