-- Orders of every offer in the window ending at each effective day of eval_days(e).
-- $window: window length in days. Returns e, seller_id, sku, orders, commingled_orders.
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
    sum(d.commingled_orders)::BIGINT AS commingled_orders
FROM offer_day AS d
JOIN windows AS w ON d.day = w.day
GROUP BY ALL
