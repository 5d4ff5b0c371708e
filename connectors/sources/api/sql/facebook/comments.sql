-- Facebook page comments -> staging.events: Social Comment
SELECT
    'comment:' || c.id                             AS event_id,
    'facebook:' || c.from_id                       AS anonymous_id,
    'Social Comment'                               AS event,
    c.created_time                                 AS timestamp,
    to_json({'network': 'facebook', 'post_id': c.post_id, 'comment_id': c.id,
             'message': c.message, 'author': c.from_name}) AS properties
FROM {{schema}}.comments AS c
