"""Pilotage: ranking weights and their preview, usage events, daily roll-ups, the statistics
pages and exports, for support staff."""
