-- name: high_value_in_region
-- description: High-value customers (RFM monetary score 4-5) in one country: edit the country list for your market
-- owner: marketing
-- refresh: every_run
SELECT profile_id, email, first_name, last_name, city, region, country, total_revenue
FROM profiles.profiles
WHERE rfm_m_score >= 4
  AND upper(country) IN ('US', 'USA', 'UNITED STATES')
