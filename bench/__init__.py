"""Benchmarks that print figures (never asserted, never collected by pytest).

- `python -m bench.run`: builds a catalogue of 10,000 generated tools in a database of its own
  (`romin_bench`), then measures `romin index rebuild` against Meilisearch's own indexing, and
  search latency and throughput of the API and the page against Meilisearch queried directly.
- `python -m bench.settings_compare`: the measurement behind the index settings chosen in
  indexer/settings.py (proximity precision, facet value order).
- `python -m bench.profile_api`: where the time of one API search request goes.
"""
