-- offer_ncx_day: NCX orders per offer, by purchase day and by the day they became NCX. An
-- order's first counted event decides when it turned NCX and its theme; comment_day is the
-- first counted event with a non-empty comment (for the insufficient-feedback rule).
-- Counted events with no order_id are NCX orders of their own, dated by the event
-- (linked = false). Reads events, so it runs after events.sql.
WITH first_counted AS (
    SELECT
        seller_id,
        sku,
        order_id,
        min(event_day) AS ncx_day,
        min(event_day) FILTER (WHERE has_comment) AS comment_day,
        arg_min(theme, event_date::VARCHAR || feedback_id) AS theme
    FROM events AS e
    WHERE counted AND order_id IS NOT NULL AND {events_of:e}
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
    WHERE o.status <> 'cancelled' AND {events_of:o}
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
    FROM events AS e
    WHERE counted AND order_id IS NULL AND {events_of:e}
)
SELECT seller_id, sku, day, ncx_day, comment_day, theme, linked, count(*)::INTEGER AS ncx_orders
FROM (SELECT * FROM ncx_orders UNION ALL SELECT * FROM unlinked)
GROUP BY ALL
ORDER BY day
