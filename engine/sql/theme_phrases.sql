-- The phrases that decided the themes of counted events of the offers in
-- eval_offers(seller_id, sku), events dated in [$start, $e] with a comment (decided_by =
-- 'phrase:<the text the lexicon rule matched>'; events decided by their reason code have
-- no phrase). Per theme its $per_theme most frequent phrases (ties alphabetical), each
-- with how many comments it decided and up to $examples of them, newest first. Returns
-- theme, phrase, comments, examples (list of struct event_day, seller_id, sku, comment).
WITH hits AS (
    SELECT
        ev.theme,
        substr(ev.decided_by, length('phrase:') + 1) AS phrase,
        ev.event_day,
        ev.event_date,
        ev.feedback_id,
        ev.seller_id,
        ev.sku,
        ev.comment
    FROM events AS ev
    JOIN eval_offers AS v ON v.seller_id = ev.seller_id AND v.sku = ev.sku
    WHERE ev.counted
        AND ev.has_comment
        AND ev.event_day BETWEEN $start AND $e
        AND ev.decided_by LIKE 'phrase:%'
),
ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY theme, phrase ORDER BY event_date DESC, feedback_id) AS i
    FROM hits
)
SELECT
    theme,
    phrase,
    count(*)::BIGINT AS comments,
    list(
        {'event_day': event_day, 'seller_id': seller_id, 'sku': sku, 'comment': comment}
        ORDER BY i
    ) FILTER (WHERE i <= $examples) AS examples
FROM ranked
GROUP BY theme, phrase
QUALIFY row_number() OVER (PARTITION BY theme ORDER BY count(*) DESC, phrase) <= $per_theme
ORDER BY theme, comments DESC, phrase
