-- Example comments per theme: the counted events of the offers in eval_offers(seller_id,
-- sku) dated in [$start, $e] with a non-empty comment. Per theme how many there are and
-- the $examples newest. Returns theme, comments, examples (list of struct event_day,
-- seller_id, sku, comment), ordered by theme.
WITH ranked AS (
    SELECT
        ev.theme,
        ev.event_day,
        ev.seller_id,
        ev.sku,
        ev.comment,
        row_number() OVER (PARTITION BY ev.theme ORDER BY ev.event_date DESC, ev.feedback_id) AS i
    FROM events AS ev
    JOIN eval_offers AS v ON v.seller_id = ev.seller_id AND v.sku = ev.sku
    WHERE ev.counted AND ev.has_comment AND ev.event_day BETWEEN $start AND $e
)
SELECT
    theme,
    count(*)::BIGINT AS comments,
    list(
        {'event_day': event_day, 'seller_id': seller_id, 'sku': sku, 'comment': comment}
        ORDER BY i
    ) FILTER (WHERE i <= $examples) AS examples
FROM ranked
GROUP BY theme
ORDER BY theme
