-- Weekly orders and NCX orders (as known on $e) of the offers in eval_offers(seller_id, sku),
-- by week of purchase (unlinked events by week of the event), weeks starting Monday,
-- from $start to $e. Returns seller_id, sku, week, orders, ncx_orders.
WITH o AS (
    SELECT d.seller_id, d.sku, date_trunc('week', d.day)::DATE AS week, sum(d.orders) AS orders
    FROM offer_day AS d
    SEMI JOIN eval_offers AS v ON v.seller_id = d.seller_id AND v.sku = d.sku
    WHERE d.day BETWEEN $start AND $e
    GROUP BY ALL
),
x AS (
    SELECT n.seller_id, n.sku, date_trunc('week', n.day)::DATE AS week, sum(n.ncx_orders) AS ncx_orders
    FROM offer_ncx_day AS n
    SEMI JOIN eval_offers AS v ON v.seller_id = n.seller_id AND v.sku = n.sku
    WHERE n.day BETWEEN $start AND $e AND n.ncx_day <= $e
    GROUP BY ALL
)
SELECT
    coalesce(o.seller_id, x.seller_id) AS seller_id,
    coalesce(o.sku, x.sku) AS sku,
    coalesce(o.week, x.week) AS week,
    coalesce(o.orders, 0)::BIGINT AS orders,
    coalesce(x.ncx_orders, 0)::BIGINT AS ncx_orders
FROM o FULL JOIN x USING (seller_id, sku, week)
