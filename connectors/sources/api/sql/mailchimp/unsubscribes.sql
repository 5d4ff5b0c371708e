-- Mailchimp unsubscribes report -> Unsubscribed
SELECT
    'unsubscribed:' || u.campaign_id || ':' || u.email_id AS event_id,
    u.email_id                                     AS record_id,
    u.email_address                                AS email,
    'Unsubscribed'                                 AS event,
    u.timestamp                                    AS timestamp,
    to_json({'campaign_id': u.campaign_id, 'reason': u.reason}) AS properties
FROM {{schema}}.unsubscribes AS u
