"""Index sync: session hooks and outbox, the push after commit, the worker, the index
generation, rebuild jobs, reconcile and the index health page."""
