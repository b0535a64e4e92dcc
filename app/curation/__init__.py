"""Curation, the back office (/gestion): tools, supports and risk factors edited by curators,
catalogue export and import, the first version's import."""
