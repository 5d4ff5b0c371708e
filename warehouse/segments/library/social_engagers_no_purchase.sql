-- name: social_engagers_no_purchase
-- description: Commented on or reacted to our social posts but never bought: first-order offer
-- owner: social
-- refresh: every_run
SELECT profile_id, email, first_name, social_comments, social_reactions
FROM profiles.profiles
WHERE social_comments + social_reactions > 0
  AND order_count = 0
