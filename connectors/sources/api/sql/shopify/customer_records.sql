-- Shopify customers -> staging.customer_records
SELECT
    CAST(c.id AS VARCHAR)                         AS record_id,
    c.email                                       AS email,
    coalesce(c.phone, c.address_phone)            AS phone,
    c.first_name                                  AS first_name,
    c.last_name                                   AS last_name,
    nullif(concat_ws(', ', c.address1, c.address2), '') AS street,
    c.city                                        AS city,
    c.zip                                         AS postcode,
    c.province_code                               AS region,
    c.country_code                                AS country,
    MAP {'shopify_customer_id': CAST(c.id AS VARCHAR)} AS external_ids,
    CASE c.email_marketing_state WHEN 'subscribed' THEN TRUE
         WHEN 'unsubscribed' THEN FALSE WHEN 'not_subscribed' THEN FALSE END AS consent_email,
    CASE c.sms_marketing_state WHEN 'subscribed' THEN TRUE
         WHEN 'unsubscribed' THEN FALSE WHEN 'not_subscribed' THEN FALSE END AS consent_sms,
    c.created_at                                  AS created_at,
    c.updated_at                                  AS updated_at,
    {{deleted}}                                   AS deleted,
    to_json({'state': c.state, 'tags': c.tags, 'orders_count': c.orders_count,
             'total_spent': c.total_spent, 'currency': c.currency, 'note': c.note,
             'verified_email': c.verified_email}) AS attributes
FROM {{schema}}.customers AS c
