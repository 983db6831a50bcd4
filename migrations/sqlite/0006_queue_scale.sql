-- The approval queue at scale (docs/BENCHMARKS.md: 50 rows out of 1,000,000 requests). The
-- queue lists requests in review oldest first, optionally of one environment or module: with
-- these indexes the database walks the requests in review in that order and stops once a page
-- is full, instead of reading and sorting every request in review (tens of thousands at that
-- scale) for each page. Keyset pages start inside the index (`(created_at_ms, id) > (…)`).
-- Kept identical to migrations/postgres/0006_queue_scale.sql.
CREATE INDEX requests_review_order ON requests (status, created_at_ms, id);
CREATE INDEX requests_review_environment ON requests (status, environment, created_at_ms, id);
CREATE INDEX requests_review_module ON requests (status, module_id, created_at_ms, id);
