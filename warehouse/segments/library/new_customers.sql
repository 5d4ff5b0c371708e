-- name: new_customers
-- description: First order in the last 30 days: onboarding series
-- owner: marketing
-- refresh: every_run
SELECT profile_id, email, first_name, last_name, first_order_at, order_count
FROM profiles.profiles
WHERE first_order_at >= traits_computed_at - INTERVAL 30 DAY
