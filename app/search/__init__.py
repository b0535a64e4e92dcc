"""Search: the search service (best first, degraded path), its cache, the search page and the
search and risk-factors API."""
