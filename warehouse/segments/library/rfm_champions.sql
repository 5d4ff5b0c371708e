-- name: rfm_champions
-- description: Bought recently, often and for a lot (RFM group 'champions'): reward, ask for reviews
-- owner: marketing
-- refresh: every_run
SELECT profile_id, email, first_name, last_name, order_count, total_revenue, last_order_at
FROM profiles.profiles
WHERE rfm_group = 'champions'
