"""Flask extensions, created once and attached in the factory."""

from flask_wtf import CSRFProtect

csrf = CSRFProtect()
