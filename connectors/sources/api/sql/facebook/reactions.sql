-- Facebook post reactions -> staging.events: Social Reaction (stamped when first seen)
SELECT
    'reaction:' || r.id || ':' || r.type           AS event_id,
    'facebook:' || r.user_id                       AS anonymous_id,
    'Social Reaction'                              AS event,
    r.first_seen_at                                AS timestamp,
    to_json({'network': 'facebook', 'post_id': r.post_id, 'reaction': r.type,
             'author': r.name})                    AS properties
FROM {{schema}}.reactions AS r
