-- 0009: the flagged-accounts list pages by keyset: its order becomes
-- flag_count, last_seen, platform, account_id, all descending (0007 sorted
-- ties by platform and id ascending), so that the position after a page's
-- last account is one row comparison that starts an index range. See the
-- PostgreSQL migration, which also tunes the queue's autovacuum (SQLite
-- has none).
DROP INDEX accounts_by_flags;
DROP INDEX accounts_by_platform_flags;
CREATE INDEX accounts_by_flags
    ON accounts (flag_count DESC, last_seen DESC, platform DESC, account_id DESC) WHERE flag_count > 0;
CREATE INDEX accounts_by_platform_flags
    ON accounts (platform, flag_count DESC, last_seen DESC, account_id DESC) WHERE flag_count > 0;
