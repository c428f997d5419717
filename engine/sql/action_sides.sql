-- The two sides of each action's verdict (DESIGN.md 4.5), over eval_actions(aid, seller_id,
-- sku, action_date, t): before = orders purchased in [action_date - 56, action_date - 1],
-- after = orders purchased in [action_date, t - $lag]; each side's NCX orders are those of
-- its orders with a counted event dated on or before t (offer_ncx_day: an order's purchase
-- day and the day it turned NCX; counted events without an order count by their own day).
-- Returns aid, before_orders, before_ncx_orders, after_orders, after_ncx_orders (0 when none;
-- NCX orders not yet capped at orders).
WITH a AS (
    SELECT
        aid, seller_id, sku, t,
        action_date - 56 AS b0,
        action_date - 1 AS b1,
        action_date AS a0,
        CAST(t - $lag AS DATE) AS a1
    FROM eval_actions
),
n AS (
    SELECT
        a.aid,
        sum(od.orders) FILTER (WHERE od.day BETWEEN a.b0 AND a.b1) AS before_orders,
        sum(od.orders) FILTER (WHERE od.day BETWEEN a.a0 AND a.a1) AS after_orders
    FROM a
    JOIN offer_day AS od
        ON od.seller_id = a.seller_id AND od.sku = a.sku AND od.day BETWEEN a.b0 AND a.t
    GROUP BY a.aid
),
k AS (
    SELECT
        a.aid,
        sum(nd.ncx_orders) FILTER (WHERE nd.day BETWEEN a.b0 AND a.b1) AS before_ncx_orders,
        sum(nd.ncx_orders) FILTER (WHERE nd.day BETWEEN a.a0 AND a.a1) AS after_ncx_orders
    FROM a
    JOIN offer_ncx_day AS nd
        ON nd.seller_id = a.seller_id AND nd.sku = a.sku AND nd.day BETWEEN a.b0 AND a.t
        AND nd.ncx_day <= a.t
    GROUP BY a.aid
)
SELECT
    a.aid,
    coalesce(n.before_orders, 0)::BIGINT AS before_orders,
    coalesce(k.before_ncx_orders, 0)::BIGINT AS before_ncx_orders,
    coalesce(n.after_orders, 0)::BIGINT AS after_orders,
    coalesce(k.after_ncx_orders, 0)::BIGINT AS after_ncx_orders
FROM a
LEFT JOIN n USING (aid)
LEFT JOIN k USING (aid)
ORDER BY a.aid
