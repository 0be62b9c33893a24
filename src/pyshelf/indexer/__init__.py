"""The indexer: turns bucket events into pages, race-free, through the storage seam
(`batch` → `regenerate` → `file_facts`, `derived`, `refile`)."""
