"""Meilisearch adapter: client, index settings, the one document builder, filters, sync, rebuild.

Never imports Flask or the application: callers hand it plain data.
"""
