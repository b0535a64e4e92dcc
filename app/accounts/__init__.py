"""Accounts: local and ProConnect sign-in, sessions, roles, API tokens, the accounts page."""
