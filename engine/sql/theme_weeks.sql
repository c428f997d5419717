-- NCX orders by week of purchase (weeks starting Monday) and theme, as known on $e, of the
-- offers in eval_offers(seller_id, sku), purchases from $start to $e. As in offer_weeks.sql a
-- week's NCX orders are among its purchases (linked orders only: counted events without an
-- order count toward the window, not toward a week). An order's theme is that of its first
-- counted event (offer_ncx_day). Returns seller_id, sku, week, theme, ncx_orders.
SELECT
    n.seller_id,
    n.sku,
    date_trunc('week', n.day)::DATE AS week,
    n.theme,
    sum(n.ncx_orders)::BIGINT AS ncx_orders
FROM offer_ncx_day AS n
JOIN eval_offers AS v ON v.seller_id = n.seller_id AND v.sku = n.sku
WHERE n.day BETWEEN $start AND $e AND n.ncx_day <= $e AND n.linked
GROUP BY ALL
