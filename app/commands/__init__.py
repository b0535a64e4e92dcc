"""Sub-commands of `romin`, one module per area."""
