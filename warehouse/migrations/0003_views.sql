-- 0003_views: analyst views. `stories`: one row per story; `meetings`: one row per event.

CREATE OR REPLACE VIEW stories AS
SELECT
    story_id,
    arg_min(article_id, coalesce(published_at, fetched_at))  AS first_article_id,
    arg_min(title, coalesce(published_at, fetched_at))       AS title,
    min(coalesce(published_at, fetched_at))                  AS first_seen,
    max(coalesce(published_at, fetched_at))                  AS last_seen,
    count(*)                                                 AS copies,
    list_sort(list_distinct(list(source_id)))                AS sources,
    list_sort(list_distinct(list(language)))                 AS languages
FROM articles
GROUP BY story_id;

CREATE OR REPLACE VIEW meetings AS
WITH people AS (
    SELECT event_id,
           string_agg(name || ' (' || country || coalesce(', ' || role, '') || ')', '; ' ORDER BY country, name)
               AS participants
    FROM event_participants GROUP BY event_id
), reports AS (
    SELECT m.event_id,
           count(*)                                        AS mentions,
           list_sort(list_distinct(list(a.source_id)))     AS sources,
           list_sort(list_distinct(list(a.language)))      AS languages,
           min(coalesce(a.published_at, a.fetched_at))     AS first_seen,
           max(coalesce(a.published_at, a.fetched_at))     AS last_seen
    FROM event_mentions m JOIN articles a USING (article_id)
    GROUP BY m.event_id
)
SELECT e.event_id, e.meeting_date, e.city, e.host_country, e.visitor_country, e.title,
       p.participants, coalesce(r.mentions, 0) AS mentions, r.sources, r.languages,
       r.first_seen, r.last_seen, e.first_seen_at
FROM events e
LEFT JOIN people p USING (event_id)
LEFT JOIN reports r USING (event_id);
