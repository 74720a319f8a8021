-- 0004_page_bodies: raw pages move out of `pages` into a table without an index.
-- DuckDB 1.5 rewrites the whole last row group of a table that has an index at every checkpoint
-- (up to 122,880 rows: for raw pages of ~36 kB, gigabytes), and a checkpoint comes every 16 MB of
-- write-ahead log, i.e. every ~400 stored pages: storing a batch of pages got slower as the
-- warehouse grew (0.12 s -> 1.15 s per 200 pages at 40,000 pages). A table without an index gets a
-- new row group at each checkpoint instead. Bodies are found by `seq` (increasing in the order pages
-- were stored), so the recent pages a run processes are read from the last row groups only.
CREATE TABLE page_bodies (
    seq     BIGINT NOT NULL,    -- pages.body_seq
    page_id VARCHAR NOT NULL,   -- pages.page_id
    raw     BLOB NOT NULL       -- the page as fetched, zlib-compressed
);

INSERT INTO page_bodies
SELECT row_number() OVER (ORDER BY fetched_at, page_id), page_id, raw FROM pages WHERE raw IS NOT NULL;

-- `pages` without `raw`, with `body_seq`. Rebuilt rather than altered: DuckDB refuses to commit a
-- transaction that adds a column, fills it and drops another on the same table.
CREATE TABLE pages_0004 (
    page_id      VARCHAR PRIMARY KEY,      -- hash of the canonicalised link
    url          VARCHAR NOT NULL,         -- the link as the feed (or URL list) gave it
    final_url    VARCHAR,                  -- after redirects
    source_id    VARCHAR NOT NULL,
    content_type VARCHAR,
    http_status  INTEGER,
    feed_title   VARCHAR,
    feed_published_at TIMESTAMP,
    language_hint VARCHAR,
    body_seq     BIGINT,                   -- page_bodies.seq; null when no body was kept
    fetched_at   TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL,         -- pending | processed | duplicate_url | failed
    article_id   VARCHAR,                  -- set once processed
    error        VARCHAR,
    run_id       VARCHAR
);

INSERT INTO pages_0004
SELECT p.page_id, p.url, p.final_url, p.source_id, p.content_type, p.http_status, p.feed_title,
       p.feed_published_at, p.language_hint, b.seq, p.fetched_at, p.status, p.article_id, p.error,
       p.run_id
FROM pages p LEFT JOIN page_bodies b USING (page_id);

DROP TABLE pages;

ALTER TABLE pages_0004 RENAME TO pages;
