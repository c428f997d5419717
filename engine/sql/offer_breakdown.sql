-- Events of one offer dated in the window [$start, $e], by source and by theme, split into
-- counted and not counted. Returns source, theme, counted, events.
SELECT source, theme, counted, count(*)::BIGINT AS events
FROM events
WHERE seller_id = $seller_id AND sku = $sku AND event_day BETWEEN $start AND $e
GROUP BY ALL
