-- The peer population of groups need(e, <keys>) among offers attrs(seller_id, sku,
-- category, subcategory, price_band, created_at, deleted_at): offers sharing the group's
-- keys, created by e and not deleted before e, with their orders n (> 0) and NCX orders k
-- (capped at n) in the window [e - $window + 1, e]. The join condition and key list are
-- filled in from the fixed peer-level columns (never from input). Each candidate gets an
-- integer id, so the sums group on one integer instead of the day, keys and offer strings.
WITH cand AS MATERIALIZED (
    SELECT row_number() OVER () AS cid, g.e /*keys*/, a.seller_id, a.sku
    FROM need AS g
    JOIN attrs AS a ON /*join*/
    WHERE (a.created_at IS NULL OR a.created_at <= g.e)
        AND (a.deleted_at IS NULL OR a.deleted_at >= g.e)
),
o AS (
    SELECT c.cid, sum(d.orders) AS n
    FROM cand AS c
    JOIN offer_day AS d
        ON d.seller_id = c.seller_id AND d.sku = c.sku AND d.day BETWEEN c.e - ($window - 1) AND c.e
    GROUP BY c.cid
),
x AS (
    SELECT c.cid, sum(x.ncx_orders) AS k_raw
    FROM cand AS c
    JOIN offer_ncx_day AS x
        ON x.seller_id = c.seller_id AND x.sku = c.sku AND x.day BETWEEN c.e - ($window - 1) AND c.e
    WHERE x.ncx_day <= c.e
    GROUP BY c.cid
)
SELECT c.* EXCLUDE (cid), o.n, least(coalesce(x.k_raw, 0), o.n) AS k
FROM cand AS c
JOIN o USING (cid)
LEFT JOIN x USING (cid)
WHERE o.n > 0
