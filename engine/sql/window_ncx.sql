-- NCX orders of every offer in the window ending at each effective day of eval_days(e),
-- split by theme: orders purchased in the window whose first counted event is on or before
-- e, plus unlinked counted events dated in the window. Uncapped (the engine caps k at n).
-- Returns e, seller_id, sku, theme, ncx_orders, commented (of those, how many have a
-- counted event with a non-empty comment on or before e), recent_ncx_orders (of those, the
-- ones purchased in the last $recent days, [e - $recent + 1, e]; $recent <= $window).
WITH windows AS (
    SELECT e, unnest(generate_series(e - ($window - 1), e, INTERVAL 1 DAY))::DATE AS day
    FROM eval_days
)
SELECT
    w.e,
    x.seller_id,
    x.sku,
    x.theme,
    sum(x.ncx_orders)::BIGINT AS ncx_orders,
    coalesce(sum(x.ncx_orders) FILTER (WHERE x.comment_day <= w.e), 0)::BIGINT AS commented,
    coalesce(sum(x.ncx_orders) FILTER (WHERE x.day > w.e - $recent), 0)::BIGINT
        AS recent_ncx_orders
FROM offer_ncx_day AS x
JOIN windows AS w ON x.day = w.day
WHERE x.ncx_day <= w.e
GROUP BY ALL
