-- Recorded seller actions of one offer up to $e.
SELECT action_date, action, note
FROM actions
WHERE seller_id = $seller_id AND sku = $sku AND action_date <= $e
ORDER BY action_date
