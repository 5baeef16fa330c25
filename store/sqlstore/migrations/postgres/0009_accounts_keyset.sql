-- 0009: the flagged-accounts list pages by keyset, and the queue's table
-- is vacuumed as often as a queue needs.
--
-- The list's order becomes flag_count, last_seen, platform, account_id,
-- all descending (0007 sorted ties by platform and id ascending). With
-- one direction throughout, the position after the last account of a page
-- is one row comparison, (flag_count, last_seen, platform, account_id) <
-- (...), which starts an index scan where the page begins: every page
-- costs the same. A deep OFFSET still reads every entry it skips, and past
-- about two thirds of the list PostgreSQL prefers a scan and a sort.
DROP INDEX accounts_by_flags;
DROP INDEX accounts_by_platform_flags;
CREATE INDEX accounts_by_flags
    ON accounts (flag_count DESC, last_seen DESC, platform DESC, account_id DESC) WHERE flag_count > 0;
CREATE INDEX accounts_by_platform_flags
    ON accounts (platform, flag_count DESC, last_seen DESC, account_id DESC) WHERE flag_count > 0;

-- Each decision and claim leaves a dead version of a flag behind in the
-- queue's partial indexes, right where the next claim starts reading. The
-- default autovacuum waits for a fifth of the table to be dead (200,000
-- versions in a million flags); by then every claim walks thousands of
-- dead entries. Vacuum after 5,000 changes plus 1% instead: cheap, since
-- a vacuum only visits the pages changed since the last one.
ALTER TABLE flags SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 5000,
    autovacuum_analyze_scale_factor = 0.02);
