"""HTML pages (DSFR, French, usable without JavaScript)."""
from flask import Flask


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
