-- An independent, brute-force computation of docs/health.md straight from the canonical
-- orders and offers and the classified events (no rollups, no polars): every peer group
-- is formed by joining each offer to the candidate peers. Slow, obvious, and used only to
-- check the engine. Parameters: $t (as-of day), $w (window days).
WITH
off AS (
    SELECT
        o.*,
        CASE
            WHEN o.deleted_at <= $t THEN 'deleted'
            WHEN o.closed_at <= $t
                AND NOT coalesce(o.reinstated_at >= o.closed_at AND o.reinstated_at <= $t, false)
                THEN 'closed'
            ELSE 'active'
        END AS status,
        CASE WHEN o.deleted_at <= $t THEN o.deleted_at ELSE $t::DATE END AS e,
        CASE
            WHEN o.price IS NULL THEN 'unknown'
            WHEN o.price < 10 THEN 'b1'
            WHEN o.price < 25 THEN 'b2'
            WHEN o.price < 50 THEN 'b3'
            WHEN o.price < 100 THEN 'b4'
            WHEN o.price < 250 THEN 'b5'
            ELSE 'b6'
        END AS band,
        coalesce(o.category, '') AS cat,
        coalesce(o.subcategory, '') AS sub
    FROM offers AS o
    WHERE o.created_at IS NULL OR o.created_at <= $t
),
days AS (SELECT DISTINCT e FROM off),
win_orders AS (
    SELECT d.e, r.seller_id, r.sku, r.order_id
    FROM orders AS r JOIN days AS d
        ON CAST(r.purchase_date AS DATE) BETWEEN d.e - ($w - 1) AND d.e
    WHERE r.status <> 'cancelled'
),
first_event AS (  -- each window order's earliest counted event on or before e
    SELECT
        wo.e, wo.seller_id, wo.sku, wo.order_id, v.theme,
        row_number() OVER (
            PARTITION BY wo.e, wo.seller_id, wo.sku, wo.order_id
            ORDER BY v.event_date, v.feedback_id
        ) AS rn,
        bool_or(v.has_comment) OVER (PARTITION BY wo.e, wo.seller_id, wo.sku, wo.order_id)
            AS commented
    FROM win_orders AS wo
    JOIN events AS v
        ON v.order_id = wo.order_id AND v.seller_id = wo.seller_id AND v.sku = wo.sku
    WHERE v.counted AND CAST(v.event_date AS DATE) <= wo.e
),
ncx_items AS (
    SELECT e, seller_id, sku, theme, commented FROM first_event WHERE rn = 1
    UNION ALL
    SELECT d.e, v.seller_id, v.sku, v.theme, v.has_comment
    FROM events AS v JOIN days AS d
        ON CAST(v.event_date AS DATE) BETWEEN d.e - ($w - 1) AND d.e
    WHERE v.counted AND v.order_id IS NULL
),
n_at AS (SELECT e, seller_id, sku, count(DISTINCT order_id) AS n FROM win_orders GROUP BY ALL),
k_at AS (
    SELECT e, seller_id, sku, count(*) AS k_raw, count(*) FILTER (WHERE commented) AS commented
    FROM ncx_items GROUP BY ALL
),
m AS (
    SELECT n_at.e, n_at.seller_id, n_at.sku, n_at.n,
        least(n_at.n, coalesce(k_at.k_raw, 0)) AS k, coalesce(k_at.commented, 0) AS commented
    FROM n_at LEFT JOIN k_at USING (e, seller_id, sku)
),
pop AS (
    SELECT m.*, off.cat, off.sub, off.band
    FROM m JOIN off USING (seller_id, sku)
    WHERE m.n > 0
        AND (off.created_at IS NULL OR off.created_at <= m.e)
        AND (off.deleted_at IS NULL OR off.deleted_at >= m.e)
),
sellers AS (SELECT count(DISTINCT seller_id) AS n_sellers FROM offers),
levels AS (
    SELECT * FROM (VALUES (1, 'price_band'), (2, 'subcategory'), (3, 'category'), (4, 'all'))
        AS l(ord, level)
),
target AS (
    SELECT off.*, coalesce(m.n, 0) AS n, coalesce(m.k, 0) AS k, coalesce(m.commented, 0) AS commented
    FROM off LEFT JOIN m ON m.e = off.e AND m.seller_id = off.seller_id AND m.sku = off.sku
),
per_level AS (  -- the three narrow levels by brute force: every target joined to its peers
    SELECT
        t.seller_id, t.sku, l.ord, l.level,
        count(p.sku) AS peer_offers,
        count(DISTINCT p.seller_id) FILTER (WHERE p.seller_id <> t.seller_id) AS other_sellers,
        coalesce(sum(p.k), 0) AS peer_k,
        coalesce(sum(p.n), 0) AS peer_n
    FROM target AS t
    CROSS JOIN (SELECT * FROM levels WHERE level <> 'all') AS l
    LEFT JOIN pop AS p
        ON p.e = t.e
        AND NOT (p.seller_id = t.seller_id AND p.sku = t.sku)
        AND p.cat = t.cat
        AND (l.level = 'category' OR p.sub = t.sub)
        AND (l.level <> 'price_band' OR p.band = t.band)
    GROUP BY t.seller_id, t.sku, l.ord, l.level
    UNION ALL  -- the whole marketplace: its totals at the day, minus the offer itself
    SELECT
        t.seller_id, t.sku, 4, 'all',
        tot.offers - (t.n > 0)::INT,
        tot.sellers - CASE WHEN EXISTS (
            SELECT 1 FROM pop AS q
            WHERE q.e = t.e AND q.seller_id = t.seller_id AND q.sku <> t.sku
        ) OR t.n > 0 THEN 1 ELSE 0 END,
        tot.k - CASE WHEN t.n > 0 THEN t.k ELSE 0 END,
        tot.n - t.n
    FROM target AS t
    JOIN (
        SELECT e, count(*) AS offers, count(DISTINCT seller_id) AS sellers, sum(k) AS k, sum(n) AS n
        FROM pop GROUP BY e
    ) AS tot ON tot.e = t.e
),
chosen AS (
    SELECT pl.*
    FROM per_level AS pl, sellers
    WHERE pl.level = 'all'
        OR (pl.peer_offers + 1 >= 20 AND (sellers.n_sellers <= 1 OR pl.other_sellers >= 5))
    QUALIFY row_number() OVER (PARTITION BY pl.seller_id, pl.sku ORDER BY pl.ord) = 1
),
rated AS (
    SELECT
        t.seller_id, t.sku, t.status, t.e, t.n, t.k, t.commented, t.closed_reason,
        c.level AS peer_level, c.peer_offers,
        greatest(0.001, CASE WHEN c.peer_n > 0 THEN c.peer_k / c.peer_n ELSE 0 END) AS b,
        CASE WHEN t.n > 0 THEN t.k / t.n END AS r
    FROM target AS t JOIN chosen AS c USING (seller_id, sku)
),
wilson AS (
    SELECT *,
        (r + 1.645 ^ 2 / (2 * n)) / (1 + 1.645 ^ 2 / n) AS centre,
        1.645 * sqrt(r * (1 - r) / n + 1.645 ^ 2 / (4 * n * n)) / (1 + 1.645 ^ 2 / n) AS half
    FROM rated
),
judged AS (
    SELECT *,
        CASE WHEN n > 0 THEN greatest(0, centre - half) END AS lo,
        CASE WHEN n > 0 THEN least(1, centre + half) END AS hi
    FROM wilson
),
top AS (
    SELECT seller_id, sku, theme, count(*) AS c, sum(count(*)) OVER (PARTITION BY seller_id, sku) AS total
    FROM ncx_items JOIN off USING (seller_id, sku, e)
    GROUP BY seller_id, sku, theme
    QUALIFY row_number() OVER (PARTITION BY seller_id, sku ORDER BY count(*) DESC, theme) = 1
),
activity AS (
    SELECT seller_id, sku, CAST(purchase_date AS DATE) AS day FROM orders WHERE status <> 'cancelled'
    UNION ALL
    SELECT seller_id, sku, CAST(event_date AS DATE) FROM events WHERE counted
)
SELECT
    j.seller_id, j.sku, j.status, j.n AS orders, j.k AS ncx_orders, j.r AS ncx_rate,
    j.peer_level, j.peer_offers, j.b AS peer_rate, j.lo AS ci_low, j.hi AS ci_high,
    CASE
        WHEN j.n = 0 THEN 'no_recent_sales'
        WHEN j.lo > j.b AND j.commented < 3 THEN 'insufficient_feedback'
        WHEN j.lo >= 2 * j.b THEN 'very_poor'
        WHEN j.lo > j.b THEN 'poor'
        WHEN j.hi <= 0.5 * j.b THEN 'excellent'
        WHEN j.hi < j.b THEN 'good'
        ELSE 'fair'
    END AS health,
    top.theme AS top_ncx_reason,
    top.c / top.total AS top_ncx_reason_share,
    (SELECT max(a.day) FROM activity AS a
        WHERE a.seller_id = j.seller_id AND a.sku = j.sku AND a.day <= j.e) AS last_updated,
    (j.status = 'closed' AND coalesce(j.closed_reason = 'ncx', false)) AS action_required
FROM judged AS j LEFT JOIN top USING (seller_id, sku)
ORDER BY j.seller_id, j.sku
