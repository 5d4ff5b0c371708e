-- name: dormant_email_subscribers
-- description: Subscribed, received email in the last 90 days, opened and clicked none: re-engage or sunset
-- owner: crm
-- refresh: every_run
SELECT profile_id, email, first_name, email_delivered_90d, last_email_engaged_at
FROM profiles.profiles
WHERE can_email
  AND email_delivered_90d > 0
  AND email_opened_90d = 0
  AND email_clicked_90d = 0
