-- Canonical tables (DESIGN.md 3). Keys are enforced by the importer (anti-joins), not by
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

CREATE TABLE IF NOT EXISTS orders (
    order_id       VARCHAR NOT NULL,
    seller_id      VARCHAR NOT NULL,
    sku            VARCHAR NOT NULL,
    purchase_date  TIMESTAMP NOT NULL,
    quantity       INTEGER NOT NULL,
    status         VARCHAR NOT NULL,
    sold_by_seller BOOLEAN NOT NULL
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

-- One row per store; bumped by every import so caches keyed on it never go stale.
CREATE TABLE IF NOT EXISTS store_meta (
    data_version BIGINT NOT NULL,
    refreshed_at TIMESTAMP
);
