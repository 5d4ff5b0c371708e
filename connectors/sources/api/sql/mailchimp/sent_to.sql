-- Mailchimp sent-to report -> Email Delivered (at the campaign's send time)
SELECT
    'delivered:' || s.campaign_id || ':' || s.email_id AS event_id,
    s.email_id                                     AS record_id,
    s.email_address                                AS email,
    'Email Delivered'                              AS event,
    s.timestamp                                    AS timestamp,
    to_json({'campaign_id': s.campaign_id})        AS properties
FROM {{schema}}.sent_to AS s
WHERE s.status = 'sent'
