-- Last updated (docs/health.md): the latest day on or before each offer's effective day of a
-- non-cancelled order or a counted event. eval_offers(seller_id, sku, e).
SELECT
    v.seller_id,
    v.sku,
    list_max(list_filter(a.days, lambda d: d <= v.e)) AS last_updated
FROM eval_offers AS v
JOIN offer_activity AS a ON a.seller_id = v.seller_id AND a.sku = v.sku
