-- events: every feedback event with its issue type, theme and whether it counts
-- (docs/health.md), and whether its order's unit came from commingled stock.
-- The events_of markers select the offers being derived (TRUE for all; engine.derive fills
-- them in); the classify marker is engine/sql/classify.sql over fb (trusted text).
WITH fb AS (
    SELECT * FROM feedback AS f WHERE {events_of:f}
),
classified AS ({classify}),
ord AS (
    SELECT order_id, seller_id, sku, sold_by_seller FROM orders AS o WHERE {events_of:o}
)
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
FROM fb AS f
JOIN classified AS c USING (feedback_id)
LEFT JOIN ord AS o
    ON o.order_id = f.order_id AND o.seller_id = f.seller_id AND o.sku = f.sku
-- Stored by offer, so one offer's comments are read from a few blocks (zone maps).
ORDER BY f.seller_id, f.sku, f.event_date
