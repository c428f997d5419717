-- Day-by-day changes of the pooled orders n and NCX orders k (uncapped) of every finest
-- peer group gid, from peer_intervals (engine/sql/peer_intervals.sql, a TEMP table): each
-- interval adds its count on its first day and takes it off the day after its last, so a
-- running sum over a group's days up to e gives its pooled n and k at effective day e.
-- Returns gid, day, dn, dk. engine.peers takes the cap k <= n off (peer_cap_days.sql).
SELECT gid, day, sum(dn)::BIGINT AS dn, sum(dk)::BIGINT AS dk
FROM (
    SELECT gid, s AS day, n AS dn, k AS dk FROM peer_intervals
    UNION ALL
    SELECT gid, t + 1 AS day, -n AS dn, -k AS dk FROM peer_intervals
)
GROUP BY ALL
HAVING sum(dn) <> 0 OR sum(dk) <> 0
