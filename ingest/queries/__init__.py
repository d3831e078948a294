"""The reads that the API, the pages and the alerts share: one source of truth."""
