-- Orders of every offer in the window ending at each effective day of eval_days(e).
-- $window: window length in days. Returns e, seller_id, sku, orders, commingled_orders.
SELECT
    v.e,
    d.seller_id,
    d.sku,
    sum(d.orders)::BIGINT AS orders,
    sum(d.commingled_orders)::BIGINT AS commingled_orders
FROM offer_day AS d
JOIN eval_days AS v ON d.day BETWEEN v.e - ($window - 1) AND v.e
GROUP BY ALL
