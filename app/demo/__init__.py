"""Demo catalogue shipped with ROMIN."""
