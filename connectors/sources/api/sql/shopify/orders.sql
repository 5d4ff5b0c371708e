-- Shopify orders -> staging.events: Order Completed, or Order Cancelled once cancelled
SELECT
    'order:' || CAST(o.id AS VARCHAR)             AS event_id,
    CAST(o.customer_id AS VARCHAR)                AS record_id,
    o.email                                       AS email,
    CASE WHEN o.cancelled_at IS NULL THEN 'Order Completed' ELSE 'Order Cancelled' END AS event,
    coalesce(o.processed_at, o.created_at)        AS timestamp,
    to_json({'order_id': CAST(o.id AS VARCHAR), 'name': o.name, 'total': o.total_price,
             'subtotal': o.subtotal_price, 'tax': o.total_tax, 'discount': o.total_discounts,
             'financial_status': o.financial_status,
             'fulfillment_status': o.fulfillment_status, 'cancel_reason': o.cancel_reason,
             'deleted': {{deleted}}}) AS properties,
    CAST(o.total_price AS DECIMAL(18, 2))         AS revenue,
    o.currency                                    AS currency
FROM {{schema}}.orders AS o
WHERE NOT coalesce(o.test, FALSE) AND NOT ({{deleted}})
