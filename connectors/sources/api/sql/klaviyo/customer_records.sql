-- Klaviyo profiles -> staging.customer_records
SELECT
    p.id                                           AS record_id,
    p.email                                        AS email,
    p.phone_number                                 AS phone,
    p.first_name                                   AS first_name,
    p.last_name                                    AS last_name,
    nullif(concat_ws(', ', p.address1, p.address2), '') AS street,
    p.city                                         AS city,
    p.zip                                          AS postcode,
    p.region                                       AS region,
    p.country                                      AS country,
    map_from_entries(list_filter([{'key': 'klaviyo_profile_id', 'value': p.id},
                                  {'key': 'external_id', 'value': p.external_id}],
                                 lambda e: e.value IS NOT NULL)) AS external_ids,
    CASE p.email_consent WHEN 'SUBSCRIBED' THEN TRUE WHEN 'UNSUBSCRIBED' THEN FALSE END AS consent_email,
    CASE p.sms_consent WHEN 'SUBSCRIBED' THEN TRUE WHEN 'UNSUBSCRIBED' THEN FALSE END AS consent_sms,
    p.created                                      AS created_at,
    p.updated                                      AS updated_at,
    {{deleted}}                                    AS deleted,
    to_json({'organization': p.organization, 'locale': p.locale,
             'properties': json(p.properties)})    AS attributes
FROM {{schema}}.profiles AS p
