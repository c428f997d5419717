-- report --events: every feedback event dated in the window [$start, $e] (of
-- $seller_id's offers, or all when NULL; of category $category, or all when NULL), with
-- its classification, whether it counts and who caused it (docs/health.md). Sorted by
-- seller, SKU, time and id so runs diff cleanly. event_date is UTC, ISO 8601 without a zone.
SELECT
    ev.feedback_id,
    ev.seller_id,
    ev.sku,
    ev.order_id,
    strftime(ev.event_date, '%Y-%m-%dT%H:%M:%S') AS event_date,
    ev.source,
    ev.reason_code,
    ev.rating,
    ev.issue_type,
    ev.theme,
    ev.counted,
    ev.not_counted_reason,
    ev.decided_by,
    ev.caused_by
FROM events AS ev
JOIN offers AS o ON o.seller_id = ev.seller_id AND o.sku = ev.sku
WHERE ev.event_day BETWEEN $start AND $e
    AND ($seller_id IS NULL OR ev.seller_id = $seller_id)
    AND ($category IS NULL OR o.category = $category)
ORDER BY ev.seller_id, ev.sku, ev.event_date, ev.feedback_id
