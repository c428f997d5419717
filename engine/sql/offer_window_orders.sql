-- Orders of the offers in eval_offers(seller_id, sku, e), each in its own window
-- [e - $window + 1, e]. Returns e, seller_id, sku, orders, commingled_orders.
SELECT
    v.e,
    d.seller_id,
    d.sku,
    sum(d.orders)::BIGINT AS orders,
    sum(d.commingled_orders)::BIGINT AS commingled_orders
FROM eval_offers AS v
JOIN offer_day AS d
    ON d.seller_id = v.seller_id AND d.sku = v.sku AND d.day BETWEEN v.e - ($window - 1) AND v.e
GROUP BY ALL
