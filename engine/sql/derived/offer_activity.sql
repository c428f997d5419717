-- offer_activity: days with a non-cancelled order or a counted event, per offer, as one list
-- (unordered, a day may repeat): the "last updated" day on or before any effective day is
-- the largest element <= that day (last_updated.sql). Sorting or de-duplicating would
-- double the cost. Reads offer_day and events, so it runs after them.
SELECT seller_id, sku, list(day) AS days
FROM (
    SELECT seller_id, sku, day FROM offer_day AS d WHERE {activity_of:d}
    UNION ALL
    SELECT seller_id, sku, event_day AS day FROM events AS e WHERE counted AND {activity_of:e}
)
GROUP BY ALL
