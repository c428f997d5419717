-- Orders of every offer in the window ending at each effective day of eval_days(e).
-- $window: window length in days; $recent: the recent days (engine.risk), at most $window.
-- Returns e, seller_id, sku, orders, commingled_orders, recent_orders (those purchased in the
-- last $recent days of the window, [e - $recent + 1, e]: one scan for both windows).
-- The windows are expanded to (e, day) pairs so the join is an equi-join on the day.
WITH windows AS (
    SELECT e, unnest(generate_series(e - ($window - 1), e, INTERVAL 1 DAY))::DATE AS day
    FROM eval_days
)
SELECT
    w.e,
    d.seller_id,
    d.sku,
    sum(d.orders)::BIGINT AS orders,
    sum(d.commingled_orders)::BIGINT AS commingled_orders,
    coalesce(sum(d.orders) FILTER (WHERE d.day > w.e - $recent), 0)::BIGINT AS recent_orders
FROM offer_day AS d
JOIN windows AS w ON d.day = w.day
GROUP BY ALL
