"""ROMIN: intervention tools for French probation officers, ranked per risk factor.

The app is built by `app.factory.create_app`; each feature lives in a package of its own
(see docs/architecture.md)."""
