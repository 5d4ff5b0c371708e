-- WooCommerce customers (wc_customer_lookup) -> staging.customer_records
SELECT
    CAST(c.customer_id AS VARCHAR)                 AS record_id,
    c.email                                        AS email,
    {{phone}}                                      AS phone,
    nullif(c.first_name, '')                       AS first_name,
    nullif(c.last_name, '')                        AS last_name,
    nullif(c.city, '')                             AS city,
    nullif(c.postcode, '')                         AS postcode,
    nullif(c.state, '')                            AS region,
    nullif(c.country, '')                          AS country,
    map_from_entries(list_filter([
        {'key': 'woocommerce_customer_id', 'value': CAST(c.customer_id AS VARCHAR)},
        {'key': 'wordpress_user_id', 'value': CAST(c.user_id AS VARCHAR)}],
        lambda e: e.value IS NOT NULL))            AS external_ids,
    c.date_registered                              AS created_at,
    c.date_last_active                             AS updated_at,
    {{deleted}}                                    AS deleted,
    to_json({'username': c.username, 'registered': c.user_id IS NOT NULL}) AS attributes
FROM {{schema}}.customers AS c
