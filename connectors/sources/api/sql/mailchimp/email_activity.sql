-- Mailchimp email activity -> Email Opened / Email Link Clicked / Email Bounced
SELECT
    'activity:' || a.event_id                      AS event_id,
    a.email_id                                     AS record_id,
    a.email_address                                AS email,
    CASE a.action WHEN 'open' THEN 'Email Opened' WHEN 'click' THEN 'Email Link Clicked'
                  WHEN 'bounce' THEN 'Email Bounced' ELSE 'Email ' || a.action END AS event,
    a.timestamp                                    AS timestamp,
    to_json({'campaign_id': a.campaign_id, 'link_url': a.url, 'bounce_type': nullif(a.type, '')}) AS properties
FROM {{schema}}.email_activity AS a
