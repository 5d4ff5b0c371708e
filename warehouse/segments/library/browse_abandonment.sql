-- name: browse_abandonment
-- description: Viewed a product in the last 24 hours and no purchase in the last 30 days
-- owner: ecommerce
-- refresh: every_run
SELECT profile_id, email, first_name, last_product_viewed_at
FROM profiles.profiles
WHERE last_product_viewed_at >= traits_computed_at - INTERVAL 24 HOUR
  AND (last_order_at IS NULL OR last_order_at < traits_computed_at - INTERVAL 30 DAY)
