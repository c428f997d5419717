-- Where the cap k <= n can bind: an order's own NCX orders are among its offer's orders,
-- but counted events with no order id (linked = false) are NCX orders of their own and
-- can outnumber them, on the days such an event counts (its offer's coverage). For the
-- offers that have them: the changes of n and k_raw over the rows of peer_intervals (a TEMP
-- table) that touch the coverage, each row's +count on its first day and -count the day
-- after its last. Returns oid, gid, day, dn, dk, sorted by oid and day, from which
-- engine.peers follows the excess max(0, k_raw - n). Changes of one offer on one day are
-- not summed (that grouping cost more than the rest of the query): the excess after a
-- day's last change is the same, and its steps within the day add up to the day's.
-- Rows that do not touch the coverage add nothing on its days; outside it the partial
-- sums give no excess, since every linked NCX order is among the orders of a row whose
-- interval holds its own.
WITH coverage AS (
    SELECT oid, min(s) AS lo, max(t) AS hi
    FROM peer_intervals
    WHERE NOT linked
    GROUP BY oid
)
SELECT
    p.oid,
    p.gid,
    unnest([p.s, p.t + 1]) AS day,
    unnest([p.n, -p.n])::BIGINT AS dn,
    unnest([p.k, -p.k])::BIGINT AS dk
FROM peer_intervals AS p
JOIN coverage AS c ON c.oid = p.oid AND p.t >= c.lo AND p.s <= c.hi
ORDER BY oid, day
