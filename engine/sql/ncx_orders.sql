-- The NCX orders of one offer ($seller_id, $sku) in its window [$start, $e], traced to
-- their events (docs/health.md, "Who caused it"): one row per event of each NCX order,
-- newest purchase first, the events of an order by date.
--
-- An NCX order is an order of the offer (not cancelled) purchased in the window with a
-- counted event on or before $e, or a counted event without an order dated in the window
-- (an NCX order of its own). An order's rows are all its events on or before $e, counted
-- or not.
--
-- Returns, per NCX order (repeated on each of its rows): ncx_key (the order id, or
-- 'event:' || feedback_id for an event without an order), order_id (NULL for the latter),
-- purchase_day (the event's day for the latter), commingled (the unit came from commingled
-- stock), counted_events, order_caused_by ('fulfilment_centre' when one of its counted
-- events is the fulfilment centre's, else 'commingled' when one is commingled stock's,
-- else 'seller': the seller's to fix); per event: feedback_id, event_date, event_day,
-- source, reason_code, rating, issue_type, theme, comment, counted, not_counted_reason,
-- decided_by, caused_by, first_counted (the order's first counted event).
WITH ev AS (
    SELECT *
    FROM events
    WHERE seller_id = $seller_id AND sku = $sku AND event_day <= $e
),
linked AS (
    SELECT
        o.order_id AS ncx_key,
        o.order_id,
        CAST(min(o.purchase_date) AS DATE) AS purchase_day,
        NOT bool_and(o.sold_by_seller) AS commingled
    FROM orders AS o
    WHERE o.seller_id = $seller_id AND o.sku = $sku AND o.status <> 'cancelled'
        AND CAST(o.purchase_date AS DATE) BETWEEN $start AND $e
        AND o.order_id IN (SELECT order_id FROM ev WHERE counted)
    GROUP BY o.order_id
),
traced AS (
    SELECT l.ncx_key, l.order_id, l.purchase_day, l.commingled, ev.*
        EXCLUDE (order_id, seller_id, sku)
    FROM linked AS l
    JOIN ev ON ev.order_id = l.order_id
    UNION ALL BY NAME
    SELECT
        'event:' || feedback_id AS ncx_key,
        NULL::VARCHAR AS order_id,
        event_day AS purchase_day,
        false AS commingled,
        * EXCLUDE (order_id, seller_id, sku)
    FROM ev
    WHERE order_id IS NULL AND counted AND event_day BETWEEN $start AND $e
)
SELECT
    ncx_key,
    order_id,
    purchase_day,
    commingled,
    (count(*) FILTER (WHERE counted) OVER per_order)::BIGINT AS counted_events,
    CASE
        WHEN bool_or(counted AND caused_by = 'fulfilment_centre') OVER per_order
            THEN 'fulfilment_centre'
        WHEN bool_or(counted AND caused_by = 'commingled') OVER per_order THEN 'commingled'
        ELSE 'seller'
    END AS order_caused_by,
    feedback_id,
    event_date,
    event_day,
    source,
    reason_code,
    rating,
    issue_type,
    theme,
    comment,
    counted,
    not_counted_reason,
    decided_by,
    caused_by,
    counted AND row_number() OVER (
        PARTITION BY ncx_key ORDER BY NOT counted, event_date, feedback_id
    ) = 1 AS first_counted
FROM traced
WINDOW per_order AS (PARTITION BY ncx_key)
ORDER BY purchase_day DESC, ncx_key, event_date, feedback_id
