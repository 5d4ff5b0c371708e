-- HubSpot closed-won deals -> staging.events: Order Completed for each associated contact
SELECT
    'deal:' || d.id || ':' || a.to_id              AS event_id,
    a.to_id                                        AS record_id,
    'Order Completed'                              AS event,
    coalesce(TRY_CAST(d.closedate AS TIMESTAMPTZ), d.updated_at) AS timestamp,
    to_json({'deal_id': d.id, 'name': d.dealname, 'stage': d.dealstage, 'pipeline': d.pipeline}) AS properties,
    TRY_CAST(d.amount AS DECIMAL(18, 2))           AS revenue,
    d.deal_currency_code                           AS currency
FROM {{schema}}.deals AS d
JOIN {{schema}}.deals_to_contacts AS a ON a.from_id = d.id
WHERE d.dealstage = 'closedwon' AND NOT coalesce(d.archived, FALSE)
