"""Services: change rows and flush, never commit (the request or the command commits)."""
