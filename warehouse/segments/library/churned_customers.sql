-- name: churned_customers
-- description: Customers whose last order is older than traits.lifecycle.churn_days (lifecycle 'churned')
-- owner: marketing
-- refresh: every_run
SELECT profile_id, email, first_name, last_name, last_order_at, total_revenue
FROM profiles.profiles
WHERE lifecycle_stage = 'churned'
