-- Klaviyo events -> staging.events (metric names mapped to Segment Spec names)
SELECT
    e.id                                           AS event_id,
    e.profile_id                                   AS record_id,
    CASE e.metric_name {{names}} ELSE coalesce(e.metric_name, e.metric_id) END AS event,
    e.datetime                                     AS timestamp,
    to_json({'metric': e.metric_name, 'properties': json(e.event_properties)}) AS properties,
    CASE WHEN e.metric_name IN ('Placed Order', 'Refunded Order', 'Ordered Product')
         THEN CAST(e.value AS DECIMAL(18, 2)) END  AS revenue,
    e.currency                                     AS currency
FROM {{schema}}.events AS e
