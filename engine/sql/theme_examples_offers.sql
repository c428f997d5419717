-- Example comments per offer and theme, for every offer at once (engine/peer_themes.py
-- combines them into theme_examples.sql's answer for any set of offers): the counted
-- events dated in [$start, $e] with a non-empty comment. Per offer and theme: how many
-- (comments), the $examples newest (list of struct event_date, feedback_id, event_day,
-- seller_id, sku, comment: the first two order them as theme_examples.sql does), and every
-- phrase that decided one (list of struct phrase, comments). Returns seller_id, sku, theme,
-- comments, examples, phrases.
WITH ranked AS (
    SELECT
        ev.seller_id,
        ev.sku,
        ev.theme,
        ev.event_date,
        ev.feedback_id,
        ev.event_day,
        ev.comment,
        CASE
            WHEN starts_with(ev.decided_by, 'phrase:') THEN substr(ev.decided_by, 8)
        END AS phrase,
        row_number() OVER (
            PARTITION BY ev.seller_id, ev.sku, ev.theme ORDER BY ev.event_date DESC, ev.feedback_id
        ) AS i
    FROM events AS ev
    WHERE ev.counted AND ev.has_comment AND ev.event_day BETWEEN $start AND $e
),
phrase_counts AS (
    SELECT seller_id, sku, theme, phrase, count(*)::BIGINT AS comments
    FROM ranked
    WHERE phrase IS NOT NULL
    GROUP BY ALL
),
offer_phrases AS (
    SELECT seller_id, sku, theme, list({'phrase': phrase, 'comments': comments}) AS phrases
    FROM phrase_counts
    GROUP BY ALL
),
by_offer AS (
    SELECT
        seller_id,
        sku,
        theme,
        count(*)::BIGINT AS comments,
        list(
            {'event_date': event_date, 'feedback_id': feedback_id, 'event_day': event_day,
             'seller_id': seller_id, 'sku': sku, 'comment': comment}
        ) FILTER (WHERE i <= $examples) AS examples
    FROM ranked
    GROUP BY ALL
)
SELECT b.seller_id, b.sku, b.theme, b.comments, b.examples, coalesce(p.phrases, []) AS phrases
FROM by_offer AS b
LEFT JOIN offer_phrases AS p USING (seller_id, sku, theme)
