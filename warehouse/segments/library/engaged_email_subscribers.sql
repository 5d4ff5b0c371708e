-- name: engaged_email_subscribers
-- description: Subscribed and highly engaged with email (engagement score 50+ over 90 days)
-- owner: crm
-- refresh: every_run
SELECT profile_id, email, first_name, email_engagement_score, last_email_engaged_at
FROM profiles.profiles
WHERE can_email AND email_engagement_score >= 50
