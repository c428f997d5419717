-- events: every feedback event with its issue type, theme and whether it counts
-- (docs/health.md), whether its order's unit came from commingled stock, and who caused it
-- (caused_by, docs/health.md "Who caused it"): 'fulfilment_centre' or 'carrier' when its
-- reason code says so, else 'commingled' when its order's unit came from commingled stock,
-- else 'seller'. Attribution never changes whether an event counts.
-- The events_of markers select the offers being derived (TRUE for all; engine.derive fills
-- them in); the classify marker is engine/sql/classify.sql over fb (trusted text).
WITH fb AS (
    SELECT * FROM feedback AS f WHERE {events_of:f}
),
classified AS ({classify}),
ord AS (
    SELECT order_id, seller_id, sku, sold_by_seller FROM orders AS o WHERE {events_of:o}
),
channel AS (
    SELECT seller_id, sku, fulfilment FROM offers AS of WHERE {events_of:of}
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
    c.decided_by,
    coalesce(length(trim(f.comment)) > 0, false) AS has_comment,
    -- false when the order's unit came from commingled stock; NULL when not linked
    o.sold_by_seller,
    CASE
        -- the reports name the fulfilment centre: damaged in its care (return reason or
        -- FBA replacement code 10); a wrong item sent from it (SWITCHEROO, replacement
        -- code 4) when Amazon fulfilled the order: an FBA offer, or an event that names
        -- the fulfilment centre (FBA returns and replacements do)
        WHEN c.code IN ('DAMAGED_BY_FC', '10') THEN 'fulfilment_centre'
        WHEN c.code IN ('SWITCHEROO', '4')
            AND (ch.fulfilment = 'FBA' OR f.fulfilment_center IS NOT NULL)
            THEN 'fulfilment_centre'
        -- the reports name the carrier (delivery problems: never counted anyway)
        WHEN c.code IN ('DAMAGED_BY_CARRIER', '3', '6') THEN 'carrier'
        WHEN o.sold_by_seller = false THEN 'commingled'
        ELSE 'seller'
    END AS caused_by
FROM fb AS f
JOIN classified AS c USING (feedback_id)
LEFT JOIN channel AS ch ON ch.seller_id = f.seller_id AND ch.sku = f.sku
LEFT JOIN ord AS o
    ON o.order_id = f.order_id AND o.seller_id = f.seller_id AND o.sku = f.sku
-- Stored by offer, so one offer's comments are read from a few blocks (zone maps).
ORDER BY f.seller_id, f.sku, f.event_date
