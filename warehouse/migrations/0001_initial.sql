-- 0001_initial: every contract table, plus raw pages, feed state and the near-duplicate index.
-- Applied in one transaction together with its row in schema_migrations.

CREATE TABLE articles (
    article_id          VARCHAR PRIMARY KEY,   -- stable hash of canonical_url
    url                 VARCHAR NOT NULL,      -- the link as the feed gave it
    canonical_url       VARCHAR NOT NULL,
    source_id           VARCHAR NOT NULL,
    title               VARCHAR,
    author              VARCHAR,
    sitename            VARCHAR,
    description         VARCHAR,
    published_at        TIMESTAMP,             -- UTC; null if unknown
    fetched_at          TIMESTAMP NOT NULL,    -- UTC
    language            VARCHAR NOT NULL,      -- ISO 639-1 or 'und'
    language_confidence DOUBLE,
    text                VARCHAR,
    content_hash        VARCHAR NOT NULL,      -- hash of the normalised text
    story_id            VARCHAR,               -- near-identical articles share it
    duplicate_of        VARCHAR,               -- the story's first article; null for that one
    similarity          DOUBLE,                -- estimated Jaccard similarity to duplicate_of
    run_id              VARCHAR
);

-- The raw page as fetched (zlib-compressed), kept so `backfill --reprocess` can re-run everything
-- after the rules change. A page is `pending` until processing turns it into an article row.
CREATE TABLE pages (
    page_id      VARCHAR PRIMARY KEY,      -- hash of the canonicalised link
    url          VARCHAR NOT NULL,         -- the link as the feed (or URL list) gave it
    final_url    VARCHAR,                  -- after redirects
    source_id    VARCHAR NOT NULL,
    content_type VARCHAR,
    http_status  INTEGER,
    feed_title   VARCHAR,
    feed_published_at TIMESTAMP,
    language_hint VARCHAR,
    raw          BLOB,
    fetched_at   TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL,         -- pending | processed | duplicate_url | failed
    article_id   VARCHAR,                  -- set once processed
    error        VARCHAR,
    run_id       VARCHAR
);

-- Near-duplicate signatures (MinHash) and their LSH buckets: one row per (band, bucket) of an article.
CREATE TABLE article_signatures (
    article_id VARCHAR PRIMARY KEY,
    story_id   VARCHAR NOT NULL,
    signature  BLOB NOT NULL
);
CREATE TABLE lsh_buckets (
    bucket     BIGINT NOT NULL,   -- hash of (band index, band values)
    article_id VARCHAR NOT NULL
);
CREATE INDEX lsh_buckets_bucket ON lsh_buckets (bucket);

-- Conditional GET state per feed.
CREATE TABLE feed_state (
    source_id       VARCHAR PRIMARY KEY,
    url             VARCHAR NOT NULL,
    etag            VARCHAR,
    last_modified   VARCHAR,
    content_hash    VARCHAR,
    last_fetched_at TIMESTAMP
);

CREATE TABLE events (
    event_id      VARCHAR PRIMARY KEY,
    event_type    VARCHAR NOT NULL,     -- iran_iraq_defense_meeting
    meeting_date  DATE,
    city          VARCHAR,              -- English name
    host_country  VARCHAR,              -- ISO 3166 alpha-2
    visitor_country VARCHAR,
    title         VARCHAR NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP,
    run_id        VARCHAR
);

CREATE TABLE event_participants (
    event_id VARCHAR NOT NULL,
    name     VARCHAR NOT NULL,          -- canonical, Latin script
    country  VARCHAR NOT NULL,          -- IR or IQ
    role     VARCHAR,
    PRIMARY KEY (event_id, name)
);

CREATE TABLE event_mentions (
    event_id   VARCHAR NOT NULL,
    article_id VARCHAR NOT NULL,
    evidence   VARCHAR NOT NULL,
    meeting_date DATE,                  -- the date this report gives
    detected_at TIMESTAMP,
    PRIMARY KEY (event_id, article_id)
);

-- The alert outbox: written in the same transaction as the new event, delivered after commit.
CREATE TABLE alerts (
    alert_id   VARCHAR PRIMARY KEY,     -- hash of (event_id, channel)
    event_id   VARCHAR NOT NULL,
    channel    VARCHAR NOT NULL,        -- the redacted Apprise URL
    status     VARCHAR NOT NULL,        -- sent | failed | pending | suppressed
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      VARCHAR,
    created_at TIMESTAMP NOT NULL,
    sent_at    TIMESTAMP,
    next_attempt_at TIMESTAMP,
    run_id     VARCHAR
);

CREATE TABLE runs (
    run_id       VARCHAR PRIMARY KEY,
    flow         VARCHAR NOT NULL,      -- monitor | backfill
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL,      -- running | ok | partial | failed | locked
    sources_fetched INTEGER DEFAULT 0,
    articles_new INTEGER DEFAULT 0,
    duplicates   INTEGER DEFAULT 0,
    events_new   INTEGER DEFAULT 0,
    alerts_sent  INTEGER DEFAULT 0,
    errors       INTEGER DEFAULT 0,
    parameters   VARCHAR
);

CREATE TABLE fetch_log (
    run_id      VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    kind        VARCHAR,                -- feed | page
    status      VARCHAR NOT NULL,       -- ok | not_modified | error | refused
    http_status INTEGER,
    error       VARCHAR,
    attempts    INTEGER,
    fetched_at  TIMESTAMP NOT NULL
);
