-- HubSpot contacts -> staging.customer_records (archived contacts are marked deleted)
SELECT
    k.id                                           AS record_id,
    k.email                                        AS email,
    coalesce(k.phone, k.mobilephone)               AS phone,
    k.firstname                                    AS first_name,
    k.lastname                                     AS last_name,
    k.address                                      AS street,
    k.city                                         AS city,
    k.zip                                          AS postcode,
    k.state                                        AS region,
    k.country                                      AS country,
    TRY_CAST(k.date_of_birth AS DATE)              AS date_of_birth,
    MAP {'hubspot_contact_id': k.id}               AS external_ids,
    CASE lower(k.hs_email_optout) WHEN 'true' THEN FALSE END AS consent_email,
    k.created_at                                   AS created_at,
    k.updated_at                                   AS updated_at,
    coalesce(k.archived, FALSE)                    AS deleted,
    to_json({'lifecyclestage': k.lifecyclestage, 'company': coalesce({{company}}, k.company),
             'properties': json(k.properties)})    AS attributes
FROM {{schema}}.contacts AS k
