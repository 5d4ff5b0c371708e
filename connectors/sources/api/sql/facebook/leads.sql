-- Facebook lead-form leads -> staging.customer_records
SELECT
    l.id                                           AS record_id,
    l.email                                        AS email,
    l.phone                                        AS phone,
    coalesce(l.first_name, nullif(split_part(l.full_name, ' ', 1), '')) AS first_name,
    coalesce(l.last_name, nullif(trim(substr(l.full_name, length(split_part(l.full_name, ' ', 1)) + 1)), '')) AS last_name,
    l.street                                       AS street,
    l.city                                         AS city,
    l.postcode                                     AS postcode,
    l.region                                       AS region,
    l.country                                      AS country,
    TRY_CAST(l.date_of_birth AS DATE)              AS date_of_birth,
    MAP {'facebook_lead_id': l.id}                 AS external_ids,
    l.created_time                                 AS created_at,
    l.created_time                                 AS updated_at,
    FALSE                                          AS deleted,
    to_json({'form_id': l.form_id, 'ad_id': l.ad_id, 'field_data': json(l.field_data)}) AS attributes
FROM {{schema}}.leads AS l
