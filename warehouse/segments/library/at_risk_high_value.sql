-- name: at_risk_high_value
-- description: Top-spending customers (RFM monetary score 4-5) whose orders are drying up: win them back
-- owner: marketing
-- refresh: every_run
-- holdout: 10%
SELECT profile_id, email, first_name, last_name, total_revenue, last_order_at, rfm_recency_days
FROM profiles.profiles
WHERE rfm_m_score >= 4
  AND rfm_group IN ('at_risk', 'cannot_lose_them', 'about_to_sleep', 'hibernating')
