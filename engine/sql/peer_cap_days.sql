-- Where the cap k <= n can bind: an order's own NCX orders are among its offer's orders,
-- but counted events with no order id (linked = false) are NCX orders of their own and
-- can outnumber them, on the days such an event counts (its offer's coverage). For the
-- offers that have them: the day-by-day changes of n and k_raw over the rows of
-- peer_intervals (a TEMP table) that touch the coverage. Returns oid, gid, day, dn, dk
-- (sorted by oid and day), from which engine.peers follows the excess max(0, k_raw - n).
-- Rows that do not touch the coverage add nothing on its days; outside it the partial
-- sums give no excess, since every linked NCX order is among the orders of a row whose
-- interval holds its own.
WITH coverage AS (
    SELECT oid, min(s) AS lo, max(t) AS hi
    FROM peer_intervals
    WHERE NOT linked
    GROUP BY oid
),
near AS (
    SELECT p.oid, p.gid, p.s, p.t, p.n, p.k
    FROM peer_intervals AS p
    JOIN coverage AS c ON c.oid = p.oid AND p.t >= c.lo AND p.s <= c.hi
)
SELECT oid, gid, day, sum(dn)::BIGINT AS dn, sum(dk)::BIGINT AS dk
FROM (
    SELECT oid, gid, s AS day, n AS dn, k AS dk FROM near
    UNION ALL
    SELECT oid, gid, t + 1 AS day, -n AS dn, -k AS dk FROM near
)
GROUP BY ALL
ORDER BY oid, day
