-- name: cart_abandonment
-- description: Added to cart or started checkout in the last 7 days, no completed order since
-- owner: ecommerce
-- refresh: every_run
SELECT profile_id, email, first_name, last_cart_activity_at
FROM profiles.profiles
WHERE last_cart_activity_at >= traits_computed_at - INTERVAL 7 DAY
  AND (last_order_at IS NULL OR last_order_at < last_cart_activity_at)
