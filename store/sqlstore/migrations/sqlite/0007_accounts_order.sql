-- 0007: the flagged-accounts list's indexes hold its whole order.
--
-- 0001's indexes held flag_count alone, leaving ties to be sorted when
-- read. When many accounts share a flag count (a million flags spread
-- evenly, or most accounts with one or two flags) that sort covered most
-- of the table on every page, and a deep page paid for every row it
-- skipped. Holding (flag_count, last_seen, platform, account_id), the
-- index gives the order of ListAccounts as it is (flag_count DESC,
-- last_seen DESC, platform, account_id) and the keys of a page from the
-- index alone; the rows of the page are read afterwards, by key.
--
-- The indexes are still partial (flagged accounts only), so a post from an
-- account without flags does not touch them. A post from a flagged account
-- moves its last_seen, and with it its index entry.
DROP INDEX accounts_by_flags;
DROP INDEX accounts_by_platform_flags;
CREATE INDEX accounts_by_flags
    ON accounts (flag_count DESC, last_seen DESC, platform, account_id) WHERE flag_count > 0;
CREATE INDEX accounts_by_platform_flags
    ON accounts (platform, flag_count DESC, last_seen DESC, account_id) WHERE flag_count > 0;
