"""gunicorn settings: sync workers per core, threads for the I/O wait on PostgreSQL and Meilisearch."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
keepalive = 5
# Access logs would carry search text in query strings: keep them off (privacy).
accesslog = None
errorlog = "-"
loglevel = "info"
