-- profiles.profiles = every column of identity.golden_records + computed traits.
-- Parameters: $now (TIMESTAMPTZ), $new_days, $active_days, $churn_days (INTEGER).
-- Inputs are temp views set up by warehouse/traits.py: cdp_in_golden, cdp_in_record_profiles.
-- Each trait is documented in warehouse/traits.py (TRAITS); keep the column order in step.
CREATE OR REPLACE TABLE profiles.profiles AS
WITH email_profiles AS (
    -- an event without a linked record falls back to its normalized email
    SELECT lower(trim(email)) AS email_key, min(profile_id) AS profile_id
    FROM cdp_in_golden
    WHERE email IS NOT NULL AND trim(email) <> ''
    GROUP BY 1
),
per_key AS (
    -- aggregate first, per (source, record_id, email): far fewer rows to link than events
    SELECT source, record_id, lower(trim(email)) AS email_key,
        min("timestamp") FILTER (WHERE event = 'Order Completed') AS first_order_at,
        max("timestamp") FILTER (WHERE event = 'Order Completed') AS last_order_at,
        count(*) FILTER (WHERE event = 'Order Completed') AS order_count,
        sum(revenue) FILTER (WHERE event = 'Order Completed') AS total_revenue,
        count(*) FILTER (WHERE event = 'Email Delivered' AND "timestamp" >= $now - INTERVAL 30 DAY) AS email_delivered_30d,
        count(*) FILTER (WHERE event = 'Email Opened' AND "timestamp" >= $now - INTERVAL 30 DAY) AS email_opened_30d,
        count(*) FILTER (WHERE event = 'Email Link Clicked' AND "timestamp" >= $now - INTERVAL 30 DAY) AS email_clicked_30d,
        count(*) FILTER (WHERE event = 'Email Delivered' AND "timestamp" >= $now - INTERVAL 90 DAY) AS email_delivered_90d,
        count(*) FILTER (WHERE event = 'Email Opened' AND "timestamp" >= $now - INTERVAL 90 DAY) AS email_opened_90d,
        count(*) FILTER (WHERE event = 'Email Link Clicked' AND "timestamp" >= $now - INTERVAL 90 DAY) AS email_clicked_90d,
        max("timestamp") FILTER (WHERE event IN ('Email Opened', 'Email Link Clicked')) AS last_email_engaged_at,
        max("timestamp") FILTER (WHERE event = 'Unsubscribed') AS last_unsubscribed_at,
        max("timestamp") FILTER (WHERE event = 'Product Viewed') AS last_product_viewed_at,
        max("timestamp") FILTER (WHERE event IN ('Product Added', 'Checkout Started')) AS last_cart_activity_at,
        count(*) FILTER (WHERE event = 'Social Comment') AS social_comments,
        count(*) FILTER (WHERE event = 'Social Reaction') AS social_reactions,
        max("timestamp") AS last_seen_at
    FROM staging.events
    WHERE "timestamp" <= $now
    GROUP BY ALL
),
linked AS (
    -- an event reaches a profile through its record, else through its normalized email
    SELECT coalesce(rp.profile_id, ep.profile_id) AS profile_id, k.*
    FROM per_key AS k
    LEFT JOIN cdp_in_record_profiles AS rp ON rp.source = k.source AND rp.record_id = k.record_id
    LEFT JOIN email_profiles AS ep ON ep.email_key = k.email_key
),
activity AS (
    SELECT profile_id,
        min(first_order_at) AS first_order_at,
        max(last_order_at) AS last_order_at,
        sum(order_count)::BIGINT AS order_count,
        coalesce(sum(total_revenue), 0)::DECIMAL(18, 2) AS total_revenue,
        sum(email_delivered_30d)::BIGINT AS email_delivered_30d,
        sum(email_opened_30d)::BIGINT AS email_opened_30d,
        sum(email_clicked_30d)::BIGINT AS email_clicked_30d,
        sum(email_delivered_90d)::BIGINT AS email_delivered_90d,
        sum(email_opened_90d)::BIGINT AS email_opened_90d,
        sum(email_clicked_90d)::BIGINT AS email_clicked_90d,
        max(last_email_engaged_at) AS last_email_engaged_at,
        max(last_unsubscribed_at) AS last_unsubscribed_at,
        max(last_product_viewed_at) AS last_product_viewed_at,
        max(last_cart_activity_at) AS last_cart_activity_at,
        sum(social_comments)::BIGINT AS social_comments,
        sum(social_reactions)::BIGINT AS social_reactions,
        max(last_seen_at) AS last_seen_at
    FROM linked
    WHERE profile_id IS NOT NULL
    GROUP BY profile_id
),
scored AS (
    -- 1-5 scores by cume_dist among buyers: ties share a score, so the result is deterministic
    SELECT profile_id,
        greatest(1, ceil(cume_dist() OVER (ORDER BY last_order_at) * 5))::INTEGER AS r,
        greatest(1, ceil(cume_dist() OVER (ORDER BY order_count) * 5))::INTEGER AS f,
        greatest(1, ceil(cume_dist() OVER (ORDER BY total_revenue) * 5))::INTEGER AS m
    FROM activity
    WHERE order_count > 0
),
traits AS (
    SELECT a.*, s.r, s.f, s.m, round((s.f + s.m) / 2)::INTEGER AS fm
    FROM activity AS a LEFT JOIN scored AS s USING (profile_id)
)
SELECT
    g.*,
    t.first_order_at,
    t.last_order_at,
    coalesce(t.order_count, 0) AS order_count,
    coalesce(t.total_revenue, 0)::DECIMAL(18, 2) AS total_revenue,
    CASE WHEN t.order_count > 0 THEN round(t.total_revenue / t.order_count, 2) END::DECIMAL(18, 2) AS avg_order_value,
    date_diff('day', t.last_order_at, $now)::INTEGER AS rfm_recency_days,
    coalesce(t.order_count, 0) AS rfm_frequency,
    coalesce(t.total_revenue, 0)::DECIMAL(18, 2) AS rfm_monetary,
    t.r AS rfm_r_score,
    t.f AS rfm_f_score,
    t.m AS rfm_m_score,
    CASE WHEN t.r IS NOT NULL THEN t.r::VARCHAR || t.f::VARCHAR || t.m::VARCHAR END AS rfm_score,
    CASE
        WHEN t.r IS NULL THEN NULL
        WHEN t.r >= 4 AND t.fm >= 4 THEN 'champions'
        WHEN t.r >= 3 AND t.fm >= 3 THEN 'loyal'
        WHEN t.r >= 4 AND t.f = 1 THEN 'new_customers'
        WHEN t.r >= 4 THEN 'potential_loyalists'
        WHEN t.r = 3 THEN 'need_attention'
        WHEN t.r = 1 AND t.fm >= 4 THEN 'cannot_lose_them'
        WHEN t.fm >= 3 THEN 'at_risk'
        WHEN t.r = 2 THEN 'about_to_sleep'
        WHEN t.fm >= 2 THEN 'hibernating'
        ELSE 'lost'
    END AS rfm_group,
    CASE
        WHEN coalesce(t.order_count, 0) = 0 THEN 'prospect'
        WHEN t.first_order_at >= $now - to_days($new_days) THEN 'new'
        WHEN t.last_order_at >= $now - to_days($active_days) THEN 'active'
        WHEN t.last_order_at >= $now - to_days($churn_days) THEN 'at_risk'
        ELSE 'churned'
    END AS lifecycle_stage,
    coalesce(t.email_delivered_30d, 0) AS email_delivered_30d,
    coalesce(t.email_opened_30d, 0) AS email_opened_30d,
    coalesce(t.email_clicked_30d, 0) AS email_clicked_30d,
    coalesce(t.email_delivered_90d, 0) AS email_delivered_90d,
    coalesce(t.email_opened_90d, 0) AS email_opened_90d,
    coalesce(t.email_clicked_90d, 0) AS email_clicked_90d,
    least(100, round(100 * (coalesce(t.email_opened_90d, 0) + 2 * coalesce(t.email_clicked_90d, 0))
        / (2.0 * greatest(coalesce(t.email_delivered_90d, 0), coalesce(t.email_opened_90d, 0), 1))))::INTEGER
        AS email_engagement_score,
    t.last_email_engaged_at,
    t.last_unsubscribed_at,
    t.last_seen_at,
    t.last_product_viewed_at,
    t.last_cart_activity_at,
    coalesce(t.social_comments, 0) AS social_comments,
    coalesce(t.social_reactions, 0) AS social_reactions,
    (g.consent_email IS TRUE AND g.email IS NOT NULL
        AND (t.last_unsubscribed_at IS NULL OR t.last_unsubscribed_at < g.updated_at)) AS can_email,
    (g.consent_sms IS TRUE AND g.phone IS NOT NULL) AS can_sms,
    $now::TIMESTAMPTZ AS traits_computed_at
FROM cdp_in_golden AS g
LEFT JOIN traits AS t USING (profile_id);
