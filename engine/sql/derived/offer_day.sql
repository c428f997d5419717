-- offer_day: orders per offer per purchase day (cancelled lines are not orders for NCX).
-- The key (order_id, seller_id, sku) is unique (the importer merges the lines of one order
-- and one offer), so each row is one distinct order of its offer.
SELECT
    seller_id,
    sku,
    CAST(purchase_date AS DATE) AS day,
    count(*)::INTEGER AS orders,
    count(*) FILTER (WHERE NOT sold_by_seller)::INTEGER AS commingled_orders
FROM orders AS o
WHERE status <> 'cancelled' AND {days_of:o}
GROUP BY ALL
