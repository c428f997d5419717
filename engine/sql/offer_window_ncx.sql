-- NCX orders by theme of the offers in eval_offers(seller_id, sku, e), each in its own
-- window (see window_ncx.sql for the rules). Returns e, seller_id, sku, theme,
-- ncx_orders, commented.
SELECT
    v.e,
    x.seller_id,
    x.sku,
    x.theme,
    sum(x.ncx_orders)::BIGINT AS ncx_orders,
    coalesce(sum(x.ncx_orders) FILTER (WHERE x.comment_day <= v.e), 0)::BIGINT AS commented
FROM eval_offers AS v
JOIN offer_ncx_day AS x
    ON x.seller_id = v.seller_id AND x.sku = v.sku AND x.day BETWEEN v.e - ($window - 1) AND v.e
WHERE x.ncx_day <= v.e
GROUP BY ALL
