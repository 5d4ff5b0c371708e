-- WooCommerce HPOS orders -> staging.events (drafts, pending, failed and trashed orders left out)
SELECT
    'order:' || CAST(o.id AS VARCHAR)              AS event_id,
    CAST({{customer}} AS VARCHAR)                  AS record_id,
    o.billing_email                                AS email,
    CASE o.status WHEN 'wc-refunded' THEN 'Order Refunded'
                  WHEN 'wc-cancelled' THEN 'Order Cancelled'
                  ELSE 'Order Completed' END       AS event,
    o.date_created_gmt                             AS timestamp,
    to_json({'order_id': CAST(o.id AS VARCHAR), 'status': o.status,
             'payment_method': o.payment_method, 'tax': o.tax_amount}) AS properties,
    CAST(o.total_amount AS DECIMAL(18, 2))         AS revenue,
    o.currency                                     AS currency
FROM {{schema}}.orders AS o
WHERE o.type = 'shop_order'
  AND o.status IN ('wc-completed', 'wc-processing', 'wc-on-hold', 'wc-refunded', 'wc-cancelled')
