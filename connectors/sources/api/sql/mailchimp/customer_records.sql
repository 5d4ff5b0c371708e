-- Mailchimp audience members -> staging.customer_records (record_id = subscriber hash)
SELECT
    m.id                                           AS record_id,
    m.email_address                                AS email,
    nullif(m.phone, '')                            AS phone,
    nullif(m.first_name, '')                       AS first_name,
    nullif(m.last_name, '')                        AS last_name,
    nullif(concat_ws(', ', nullif(m.addr1, ''), nullif(m.addr2, '')), '') AS street,
    nullif(m.city, '')                             AS city,
    nullif(m.zip, '')                              AS postcode,
    nullif(m.state, '')                            AS region,
    coalesce(nullif(m.country, ''), m.country_code) AS country,
    MAP {'mailchimp_subscriber_hash': m.id, 'mailchimp_contact_id': coalesce(m.contact_id, '')} AS external_ids,
    CASE m.status WHEN 'subscribed' THEN TRUE
                  WHEN 'unsubscribed' THEN FALSE WHEN 'cleaned' THEN FALSE END AS consent_email,
    m.timestamp_opt                                AS created_at,
    m.last_changed                                 AS updated_at,
    m.status = 'archived'                          AS deleted,
    to_json({'status': m.status, 'member_rating': m.member_rating, 'vip': m.vip,
             'language': m.language, 'signup_source': m.source, 'tags': json(m.tags),
             'birthday': m.birthday}) AS attributes
FROM {{schema}}.members AS m
