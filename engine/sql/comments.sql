-- Feedback events of the offers in eval_offers(seller_id, sku), newest first, with filters.
-- Every filter is a bound parameter; NULL means "any".
SELECT
    ev.feedback_id, ev.seller_id, ev.sku, ev.order_id, ev.event_day, ev.source,
    ev.reason_code, ev.issue_type, ev.theme, ev.rating, ev.comment, ev.counted,
    ev.not_counted_reason, ev.sold_by_seller, ev.fulfilment_center
FROM events AS ev
SEMI JOIN eval_offers AS v ON v.seller_id = ev.seller_id AND v.sku = ev.sku
WHERE ev.event_day <= $until
    AND ($since IS NULL OR ev.event_day >= $since)
    AND ($sources IS NULL OR list_contains($sources, ev.source))
    AND ($themes IS NULL OR list_contains($themes, ev.theme))
    AND ($counted IS NULL OR ev.counted = $counted)
    AND ($text IS NULL OR ev.comment ILIKE '%' || $text || '%' ESCAPE '\')
    AND (NOT $with_comment OR ev.has_comment)
ORDER BY ev.event_date DESC, ev.feedback_id
LIMIT $limit
