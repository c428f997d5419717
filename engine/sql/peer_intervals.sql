-- The interval of effective days at which each rollup row counts towards its offer's
-- window metrics, for windows of $window days (engine.peers turns them into the peer
-- population of every day):
-- - an offer_day row of purchase day d: its orders n count at every effective day e in
--   [d, d + $window - 1];
-- - an offer_ncx_day row of purchase day d that turned NCX on day c: its NCX orders k
--   count in [greatest(d, c), d + $window - 1];
-- both only while e lies in [created_at, deleted_at], when the offer may be a peer.
-- attrs(oid, gid, seller_id, sku, created_at, deleted_at): the offers, oid a unique
-- integer, gid their peer group's. Returns oid, gid, s, t (first and last day), n, k, linked (false: NCX orders of counted
-- events with no order id). $since: only intervals that reach $since
-- or later (NULL: all); the others add and remove their counts before $since.
SELECT * FROM (
    SELECT
        a.oid,
        a.gid,
        greatest(d.day, coalesce(a.created_at, d.day)) AS s,
        least(d.day + ($window - 1), coalesce(a.deleted_at, d.day + ($window - 1))) AS t,
        d.orders AS n,
        0 AS k,
        true AS linked
    FROM offer_day AS d
    JOIN attrs AS a ON a.seller_id = d.seller_id AND a.sku = d.sku
    UNION ALL
    SELECT
        a.oid,
        a.gid,
        greatest(x.day, x.ncx_day, coalesce(a.created_at, x.day)) AS s,
        least(x.day + ($window - 1), coalesce(a.deleted_at, x.day + ($window - 1))) AS t,
        0 AS n,
        x.ncx_orders AS k,
        x.linked
    FROM offer_ncx_day AS x
    JOIN attrs AS a ON a.seller_id = x.seller_id AND a.sku = x.sku
)
WHERE s <= t AND (CAST($since AS DATE) IS NULL OR t >= CAST($since AS DATE))
