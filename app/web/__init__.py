"""HTML pages (DSFR, French, usable without JavaScript)."""
from functools import partial

from flask import Flask

from app.french_dates import fr_date, fr_datetime
from app.web.backoffice_menu import visible_entries


def register_web(app: Flask) -> None:
    from app.web import auth_views, health_views, search_views, tool_views
    from app.web import stats_views
    from app.web import weights_views
    from app.web import admin_views
    from app.web import moderation_views, supports_admin_views
    from app.web import factors_admin_views
    from app.web import index_health_views
    from app.web import backoffice_views
    app.register_blueprint(search_views.bp)
    app.register_blueprint(tool_views.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(health_views.bp)
    app.register_blueprint(stats_views.bp)
    app.register_blueprint(weights_views.bp)
    app.register_blueprint(supports_admin_views.bp)
    app.register_blueprint(moderation_views.bp)
    app.register_blueprint(factors_admin_views.bp)
    app.register_blueprint(index_health_views.bp)
    app.register_blueprint(backoffice_views.bp)
    app.register_blueprint(admin_views.bp)
    # for every template: the back office's side menu, and dates as read in France
    app.jinja_env.globals["backoffice_entries"] = visible_entries
    app.jinja_env.filters["date_heure"] = partial(fr_datetime, empty="—")
    app.jinja_env.filters["date_jour"] = partial(fr_date, empty="—")
