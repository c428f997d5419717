-- Example comments per theme: the counted events of the offers in eval_offers(seller_id,
-- sku) dated in [$start, $e] with a non-empty comment. Per theme how many there are, the
-- $examples newest, and its $phrases most frequent phrases: the text the lexicon matched
-- where a phrase decided the theme (decided_by 'phrase:...', docs/themes.md; events
-- decided by their reason code have none), each with how many comments it decided, ties
-- alphabetical. Returns theme, comments, examples (list of struct event_day, seller_id,
-- sku, comment), phrases (list of struct phrase, comments), ordered by theme.
WITH ranked AS (
    SELECT
        ev.theme,
        ev.event_day,
        ev.seller_id,
        ev.sku,
        ev.comment,
        CASE
            WHEN starts_with(ev.decided_by, 'phrase:') THEN substr(ev.decided_by, 8)
        END AS phrase,
        row_number() OVER (PARTITION BY ev.theme ORDER BY ev.event_date DESC, ev.feedback_id) AS i
    FROM events AS ev
    JOIN eval_offers AS v ON v.seller_id = ev.seller_id AND v.sku = ev.sku
    WHERE ev.counted AND ev.has_comment AND ev.event_day BETWEEN $start AND $e
),
phrase_counts AS (
    SELECT
        theme,
        phrase,
        count(*)::BIGINT AS comments,
        row_number() OVER (PARTITION BY theme ORDER BY count(*) DESC, phrase) AS j
    FROM ranked
    WHERE phrase IS NOT NULL
    GROUP BY theme, phrase
),
top_phrases AS (
    SELECT theme, list({'phrase': phrase, 'comments': comments} ORDER BY j) AS phrases
    FROM phrase_counts
    WHERE j <= $phrases
    GROUP BY theme
),
by_theme AS (
    SELECT
        theme,
        count(*)::BIGINT AS comments,
        list(
            {'event_day': event_day, 'seller_id': seller_id, 'sku': sku, 'comment': comment}
            ORDER BY i
        ) FILTER (WHERE i <= $examples) AS examples
    FROM ranked
    GROUP BY theme
)
SELECT b.theme, b.comments, b.examples, coalesce(p.phrases, []) AS phrases
FROM by_theme AS b
LEFT JOIN top_phrases AS p USING (theme)
ORDER BY b.theme
