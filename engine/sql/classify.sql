-- Every feedback event's issue type, theme and whether it counts (docs/health.md).
-- Returns feedback_id, issue_type, theme, counted, not_counted_reason (NULL when counted),
-- decided_by ('reason_code:<code>', 'phrase:<matched text>' or NULL), code (the reason code
-- as engine.themes.normalise_reason keys it), with exactly the
-- semantics of engine.themes.classify_explained and engine.themes.counted.
-- {feedback} is the relation classified: feedback rows (engine.themes.classify_sql fills it
-- in, e.g. with the feedback table or the rows of the offers an import changed).
--
-- Needs engine.themes.load_reference_tables(con) first, on the same connection: it fills
-- reason_map and theme_lexicon and copies the lexicon regexes, in priority order, into the
-- session variable theme_lexicon_patterns. Reading them through getvariable() makes each
-- regex a constant that DuckDB compiles once, while a pattern joined in from a table column
-- would be recompiled for every row (minutes instead of a fraction of a second).
-- engine.themes.classify_sql fills in the rule count, the priorities and the branches of
-- by_text and explained from the lexicon it loads, one branch per rule. The guard fails loudly when
-- the variable is missing, stale, of another length or not of the form (?i)(?:...).
WITH guard AS (
    SELECT CASE
        WHEN getvariable('theme_lexicon_patterns') IS NULL
            THEN error('theme_lexicon_patterns is not set: call engine.themes.load_reference_tables(con) on this connection first')
        WHEN len(getvariable('theme_lexicon_patterns')) <> {rule_count}
            THEN error('classify.sql has {rule_count} lexicon branches but theme_lexicon_patterns holds a different number of rules')
        WHEN getvariable('theme_lexicon_patterns')
            IS DISTINCT FROM (SELECT list(pattern ORDER BY priority) FROM theme_lexicon)
            OR (SELECT list(priority ORDER BY priority) FROM theme_lexicon)
            IS DISTINCT FROM {priorities}
            THEN error('theme_lexicon_patterns does not match theme_lexicon: call engine.themes.load_reference_tables(con) again')
        WHEN len(list_filter(
                getvariable('theme_lexicon_patterns'),
                lambda p: NOT (starts_with(p, '(?i)(?:') AND ends_with(p, ')'))
            )) > 0
            THEN error('every theme_lexicon pattern must have the form (?i)(?:...)')
        ELSE true
    END AS ok
),

-- The reason code as engine.themes.normalise_reason keys it: strip ASCII blanks and
-- no-break spaces, upper-case ASCII letters only, drop one leading CR-, strip again,
-- '' -> NULL. Codes already in that form (nearly all) take the cheap first branch.
normalised AS (
    SELECT
        f.feedback_id,
        f.source,
        f.rating,
        f.comment,
        CASE
            WHEN regexp_full_match(f.reason_code, '[A-Z0-9_*-]+') AND NOT starts_with(f.reason_code, 'CR-')
                THEN f.reason_code
            ELSE nullif(
                trim(
                    regexp_replace(
                        translate(
                            trim(f.reason_code, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160)),
                            'abcdefghijklmnopqrstuvwxyz',
                            'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
                        ),
                        '^CR-',
                        ''
                    ),
                    ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160)
                ),
                ''
            )
        END AS code
    FROM {feedback} AS f
    CROSS JOIN guard
    WHERE guard.ok
),

-- A known code decides (UNDELIVERABLE_... is stored as the prefix row 'UNDELIVERABLE_*').
coded AS (
    SELECT n.*, r.issue_type AS code_issue_type, r.theme AS code_theme
    FROM normalised AS n
    LEFT JOIN reason_map AS r
        ON r.code = CASE
            WHEN starts_with(n.code, 'UNDELIVERABLE_') THEN 'UNDELIVERABLE_*'
            ELSE n.code
        END
),

-- Otherwise the comment as the rules read it (engine.themes.prepared): accents removed
-- (strip_accents stops at a NUL, so NUL is a blank first), the ligatures written out,
-- and every negated phrase ("not broken") blanked. Only where the text decides.
by_code AS (
    SELECT
        * REPLACE (
            CASE
                WHEN code_issue_type IS NOT NULL OR comment IS NULL THEN NULL
                WHEN getvariable('theme_negation_pattern') IS NULL THEN replace(replace(replace(replace(replace(strip_accents(replace(comment, chr(0), ' ')), 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), 'ſ', 's')
                ELSE regexp_replace(replace(replace(replace(replace(replace(strip_accents(replace(comment, chr(0), ' ')), 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'), 'ſ', 's'), getvariable('theme_negation_pattern'), ' ', 'g')
            END AS comment
        )
    FROM coded
),

-- Otherwise the first lexicon rule whose regex matches the comment, and the text it
-- matched: hit = {'k': rule position, 'm': its first match}. engine.themes.classify_sql
-- writes the hit expression: a coalesce over blocks of neighbouring rules (engine.themes._blocks),
-- in order. A block of several rules is tried first as one regex (a comment matching
-- nothing costs one pass per block, not one per rule), and when it matches, each of its rules
-- gives regexp_extract(comment, rule) and the first non-empty one wins (a phrase never
-- matches the empty text). coalesce stops at the first block that hits, so the first
-- matching block holds the first matching rule. Each regex is a constant
-- (getvariable), compiled once per query. (Blocks are cut by size on purpose: RE2's DFA
-- for a union of large rules outgrows its memory budget and falls back to a much slower
-- matcher.) Rows decided by their code, or without a comment, skip the regexes.
by_text AS (
    SELECT
        b.*,
        CASE
            WHEN b.code_issue_type IS NOT NULL OR b.comment IS NULL THEN NULL
            ELSE {text_hit}
        END AS hit
    FROM by_code AS b
),

-- What decided: the normalised code, or the text the winning rule matched (ASCII letters
-- lower-cased, runs of blanks as one space), as engine.themes.classify_explained says.
explained AS (
    SELECT
        t.*,
        t.hit.k AS text_priority,
        CASE
            WHEN t.code_issue_type IS NOT NULL THEN 'reason_code:' || t.code
            WHEN t.hit IS NOT NULL THEN 'phrase:' || regexp_replace(
                translate(t.hit.m, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),
                '[' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || ' ' || chr(160) || ']+',
                ' ',
                'g'
            )
        END AS decided_by
    FROM by_text AS t
),

classified AS (
    SELECT
        t.feedback_id,
        t.source,
        t.rating,
        coalesce(t.code_issue_type, l.issue_type, 'unknown') AS issue_type,
        coalesce(t.code_theme, l.theme, 'other') AS theme,
        t.decided_by,
        t.code
    FROM explained AS t
    LEFT JOIN theme_lexicon AS l ON l.priority = t.text_priority
),

-- Which events count, and why not (first that applies, as in engine.themes.counted).
judged AS (
    SELECT
        c.feedback_id,
        c.issue_type,
        c.theme,
        c.decided_by,
        c.code,
        CASE
            WHEN NOT (
                c.source = 'return' OR c.source = 'refund' OR c.source = 'contact'
                OR c.source = 'review' OR c.source = 'seller_feedback'
            ) THEN error('unknown feedback source: ' || c.source)
            WHEN c.source = 'seller_feedback' THEN 'seller feedback'
            WHEN c.issue_type IN ('delivery', 'remorse') THEN c.issue_type
            WHEN c.source = 'review' AND c.rating IS DISTINCT FROM 1 THEN 'not one-star'
        END AS not_counted_reason
    FROM classified AS c
)

SELECT
    feedback_id,
    issue_type,
    theme,
    not_counted_reason IS NULL AS counted,
    not_counted_reason,
    decided_by,
    code
FROM judged
