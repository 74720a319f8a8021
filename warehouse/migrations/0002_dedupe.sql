-- 0002_dedupe: the content hash next to each signature, so one lookup in lsh_buckets (which also
-- holds a bucket per content hash) finds exact and near duplicates without touching `articles`.
ALTER TABLE article_signatures ADD COLUMN content_hash VARCHAR;
