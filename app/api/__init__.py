"""JSON API under /api/v1 (flask-smorest), Bearer tokens."""
from flask import Flask


def register_api(app: Flask) -> None:
    from flask_smorest import Api

    from app.api import ranking, risk_factors, search, tools
    from app.extensions import csrf

    api = Api(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    for module in (risk_factors, search, tools, ranking):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
    app.extensions["romin_api"] = api
