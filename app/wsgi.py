"""WSGI entry point for gunicorn: `gunicorn app.wsgi:app`."""

from app.assets import built
from app.factory import create_app

app = create_app()
# The pages' static files (app.asset_build) are made as each worker starts, not during the
# first visitor's page, which waited for them (about 0.4 s, seconds on a cold machine).
with app.app_context():
    built()
