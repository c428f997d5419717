-- risk_clusters: theme clusters of the early warning (docs/health.md, "At risk") for every
-- offer at each effective day of eval_days(e). The NCX orders of the window [e - $window + 1,
-- e] (as in window_ncx.sql: purchased in the window with a first counted event on or before
-- e, plus unlinked counted events dated in the window) are dated by their first counted
-- event (ncx_day) and keyed by its theme. A cluster is a span of $span consecutive days
-- [d, d + $span - 1] holding at least $min_orders of one theme, whose last day lies in the
-- recent days [e - $recent + 1, e]. Returns e, seller_id, sku, theme, first_day (d of the
-- earliest such span), orders (NCX orders in that span).
WITH windows AS (
    SELECT e, unnest(generate_series(e - ($window - 1), e, INTERVAL 1 DAY))::DATE AS day
    FROM eval_days
),
dated AS (
    SELECT w.e, x.seller_id, x.sku, x.theme, x.ncx_day, sum(x.ncx_orders) AS orders
    FROM offer_ncx_day AS x
    JOIN windows AS w ON x.day = w.day
    WHERE x.ncx_day <= w.e AND x.ncx_day >= w.e - ($recent - 1) - ($span - 1)
    GROUP BY ALL
),
ends AS (
    SELECT e, unnest(generate_series(e - ($recent - 1), e, INTERVAL 1 DAY))::DATE AS last_day
    FROM eval_days
),
spans AS (
    SELECT d.e, d.seller_id, d.sku, d.theme, s.last_day, sum(d.orders) AS orders
    FROM dated AS d
    JOIN ends AS s ON s.e = d.e AND d.ncx_day BETWEEN s.last_day - ($span - 1) AND s.last_day
    GROUP BY ALL
    HAVING sum(d.orders) >= $min_orders
)
SELECT
    e,
    seller_id,
    sku,
    theme,
    (min(last_day) - ($span - 1))::DATE AS first_day,
    arg_min(orders, last_day)::BIGINT AS orders
FROM spans
GROUP BY ALL
