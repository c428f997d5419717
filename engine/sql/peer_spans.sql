-- The spans of effective days during which each offer is in the peer population, from
-- peer_intervals (engine/sql/peer_intervals.sql, a TEMP table): the union of the
-- intervals of its order rows (n > 0). Returns oid, s, t, one row per span.
-- In (s, t) order the starts and the ends both rise with the purchase day, so a row opens
-- a span when it starts more than a day after the row before it ended, and closes it when
-- the row after it starts more than a day after it ends. Only those rows are kept; each
-- opening row's span ends where the next kept row (or itself) closes it.
WITH marked AS (
    SELECT
        oid,
        s,
        t,
        coalesce(s > lag(t) OVER w + 1, true) AS opens,
        coalesce(lead(s) OVER w > t + 1, true) AS closes
    FROM peer_intervals
    WHERE n > 0
    WINDOW w AS (PARTITION BY oid ORDER BY s, t)
),
edges AS (
    SELECT
        oid,
        s,
        opens,
        CASE WHEN closes THEN t ELSE lead(t) OVER (PARTITION BY oid ORDER BY s, t) END AS t
    FROM marked
    WHERE opens OR closes
)
SELECT oid, s, t FROM edges WHERE opens
