"""Feedback: officers' ratings and comments, reports, and curators' moderation."""
