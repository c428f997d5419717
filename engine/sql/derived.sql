-- Derived tables, rebuilt after every import (DESIGN.md 5). Plain SQL over the canonical
-- tables so the heavy derivation could move to a distributed engine unchanged.
-- The classified CTE is the text of engine/sql/classify.sql (trusted, never user input).

-- Every feedback event with its issue type, theme and whether it counts (DESIGN.md 4.1-4.2).
CREATE OR REPLACE TABLE events AS
WITH classified AS ({classify})
SELECT
    f.feedback_id,
    f.seller_id,
    f.sku,
    f.order_id,
    f.event_date,
    CAST(f.event_date AS DATE) AS event_day,
    f.source,
    f.reason_code,
    f.rating,
    f.comment,
    f.fulfilment_center,
    c.issue_type,
    c.theme,
    c.counted,
    c.not_counted_reason,
    coalesce(length(trim(f.comment)) > 0, false) AS has_comment,
    -- false when the order's unit came from commingled stock; NULL when not linked
    o.sold_by_seller
FROM feedback AS f
JOIN classified AS c USING (feedback_id)
LEFT JOIN orders AS o
    ON o.order_id = f.order_id AND o.seller_id = f.seller_id AND o.sku = f.sku
-- Stored by offer, so one offer's comments are read from a few blocks (zone maps).
ORDER BY f.seller_id, f.sku, f.event_date;

-- Orders per offer per purchase day (cancelled lines are not orders for NCX). The key
-- (order_id, seller_id, sku) is unique, so each row is one distinct order of its offer.
CREATE OR REPLACE TABLE offer_day AS
SELECT
    seller_id,
    sku,
    CAST(purchase_date AS DATE) AS day,
    count(*)::INTEGER AS orders,
    count(*) FILTER (WHERE NOT sold_by_seller)::INTEGER AS commingled_orders
FROM orders
WHERE status <> 'cancelled'
GROUP BY ALL;

-- NCX orders per offer, by purchase day and by the day they became NCX. An order's first
-- counted event decides when it turned NCX and its theme; comment_day is the first counted
-- event with a non-empty comment (for the insufficient-feedback rule). Counted events with
-- no order_id are NCX orders of their own, dated by the event (linked = false).
CREATE OR REPLACE TABLE offer_ncx_day AS
WITH first_counted AS (
    SELECT
        seller_id,
        sku,
        order_id,
        min(event_day) AS ncx_day,
        min(event_day) FILTER (WHERE has_comment) AS comment_day,
        arg_min(theme, event_date::VARCHAR || feedback_id) AS theme
    FROM events
    WHERE counted AND order_id IS NOT NULL
    GROUP BY ALL
),
ncx_orders AS (
    SELECT
        o.seller_id,
        o.sku,
        CAST(min(o.purchase_date) AS DATE) AS day,
        any_value(fc.ncx_day) AS ncx_day,
        any_value(fc.comment_day) AS comment_day,
        any_value(fc.theme) AS theme,
        true AS linked
    FROM orders AS o
    JOIN first_counted AS fc USING (seller_id, sku, order_id)
    WHERE o.status <> 'cancelled'
    GROUP BY o.seller_id, o.sku, o.order_id
),
unlinked AS (
    SELECT
        seller_id,
        sku,
        event_day AS day,
        event_day AS ncx_day,
        CASE WHEN has_comment THEN event_day END AS comment_day,
        theme,
        false AS linked
    FROM events
    WHERE counted AND order_id IS NULL
)
SELECT seller_id, sku, day, ncx_day, comment_day, theme, linked, count(*)::INTEGER AS ncx_orders
FROM (SELECT * FROM ncx_orders UNION ALL SELECT * FROM unlinked)
GROUP BY ALL
ORDER BY day;

-- Days with a non-cancelled order or a counted event, per offer, as one list (unordered,
-- a day may repeat): the "last updated" day on or before any effective day is the largest
-- element <= that day (last_updated.sql). Sorting or de-duplicating would double the cost.
CREATE OR REPLACE TABLE offer_activity AS
SELECT seller_id, sku, list(day) AS days
FROM (
    SELECT seller_id, sku, day FROM offer_day
    UNION ALL
    SELECT seller_id, sku, event_day AS day FROM events WHERE counted
)
GROUP BY ALL;
