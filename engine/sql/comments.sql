-- Feedback events of some offers, newest first, with filters. Every filter is a bound
-- parameter; NULL means "any". {offers} is one of the two trusted conditions in
-- engine/service.py: one offer ($seller_id, $sku), which reads only that offer's blocks of
-- events, or the offers registered as eval_offers(seller_id, sku). ``matching``: how many
-- events match before the limit (the page says when it shows only the newest).
SELECT
    ev.feedback_id, ev.seller_id, ev.sku, ev.order_id, ev.event_day, ev.source,
    ev.reason_code, ev.issue_type, ev.theme, ev.decided_by, ev.rating, ev.comment, ev.counted,
    ev.not_counted_reason, ev.sold_by_seller, ev.fulfilment_center,
    count(*) OVER () AS matching
FROM events AS ev
WHERE {offers}
    AND ev.event_day <= $until
    AND ($since IS NULL OR ev.event_day >= $since)
    AND ($sources IS NULL OR list_contains($sources, ev.source))
    AND ($themes IS NULL OR list_contains($themes, ev.theme))
    AND ($counted IS NULL OR ev.counted = $counted)
    AND ($text IS NULL OR ev.comment ILIKE '%' || $text || '%' ESCAPE '\')
    AND (NOT $with_comment OR ev.has_comment)
ORDER BY ev.event_date DESC, ev.feedback_id
LIMIT $limit
