-- Weekly orders and NCX orders (as known on $e) of the offers in eval_offers(oid, seller_id, sku),
-- by week of purchase, weeks starting Monday, from $start to $e: a week's NCX orders are
-- those among its purchases, so its rate never exceeds 100 % (counted events without an
-- order count toward the window's health, not toward any week of purchases). Returns oid
-- (eval_offers' integer id of the offer), seller_id, sku, week, orders, ncx_orders,
-- ordered by oid and week. The rollups are read for those offers only (a peer group's
-- few thousand rows, not every offer's year).
WITH v AS (
    SELECT oid::INTEGER AS oid, seller_id, sku FROM eval_offers
),
o AS (
    SELECT d.seller_id, d.sku, date_trunc('week', d.day)::DATE AS week, sum(d.orders) AS orders
    FROM offer_day AS d
    SEMI JOIN v ON v.seller_id = d.seller_id AND v.sku = d.sku
    WHERE d.day BETWEEN $start AND $e
    GROUP BY ALL
),
x AS (
    SELECT n.seller_id, n.sku, date_trunc('week', n.day)::DATE AS week, sum(n.ncx_orders) AS ncx_orders
    FROM offer_ncx_day AS n
    SEMI JOIN v ON v.seller_id = n.seller_id AND v.sku = n.sku
    WHERE n.day BETWEEN $start AND $e AND n.ncx_day <= $e AND n.linked
    GROUP BY ALL
)
SELECT
    v.oid,
    seller_id,
    sku,
    week,
    coalesce(o.orders, 0)::BIGINT AS orders,
    coalesce(x.ncx_orders, 0)::BIGINT AS ncx_orders
FROM o
FULL JOIN x USING (seller_id, sku, week)
JOIN v USING (seller_id, sku)
ORDER BY v.oid, week
