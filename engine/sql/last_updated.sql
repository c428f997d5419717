-- Last updated (DESIGN.md 4.3): the latest day on or before each offer's effective day of a
-- non-cancelled order or a counted event. eval_offers(seller_id, sku, e).
WITH activity AS (
    SELECT seller_id, sku, day FROM offer_day
    UNION ALL
    SELECT seller_id, sku, event_day AS day FROM events WHERE counted
)
SELECT v.seller_id, v.sku, max(a.day) AS last_updated
FROM eval_offers AS v
JOIN activity AS a ON a.seller_id = v.seller_id AND a.sku = v.sku AND a.day <= v.e
GROUP BY ALL
