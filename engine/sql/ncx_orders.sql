-- The NCX orders of one offer ($seller_id, $sku) in its window [$start, $e], newest
-- purchase first: its orders (not cancelled) purchased in the window with a counted event
-- on or before $e, each with its first counted event and how many it has; then the counted
-- events without an order dated in the window, each an NCX order of its own
-- (docs/health.md). Returns order_id (NULL for the latter), purchase_day (the event's day
-- for the latter), first_event_day, source, reason_code, theme, comment, counted_events,
-- commingled (the unit came from commingled stock).
WITH ev AS (
    SELECT *
    FROM events
    WHERE seller_id = $seller_id AND sku = $sku AND counted AND event_day <= $e
),
linked AS (
    SELECT
        o.order_id,
        CAST(o.purchase_date AS DATE) AS purchase_day,
        min(ev.event_day) AS first_event_day,
        arg_min(ev.source, ev.event_date) AS source,
        arg_min(ev.reason_code, ev.event_date) AS reason_code,
        arg_min(ev.theme, ev.event_date) AS theme,
        arg_min(ev.comment, ev.event_date) AS comment,
        count(*) AS counted_events,
        NOT any_value(o.sold_by_seller) AS commingled
    FROM orders AS o
    JOIN ev ON ev.order_id = o.order_id
    WHERE o.seller_id = $seller_id AND o.sku = $sku AND o.status <> 'cancelled'
        AND CAST(o.purchase_date AS DATE) BETWEEN $start AND $e
    GROUP BY o.order_id, o.purchase_date
),
unlinked AS (
    SELECT
        NULL::VARCHAR AS order_id,
        event_day AS purchase_day,
        event_day AS first_event_day,
        source,
        reason_code,
        theme,
        comment,
        1 AS counted_events,
        false AS commingled
    FROM ev
    WHERE order_id IS NULL AND event_day BETWEEN $start AND $e
)
SELECT * FROM (SELECT * FROM linked UNION ALL SELECT * FROM unlinked)
ORDER BY purchase_day DESC, order_id
