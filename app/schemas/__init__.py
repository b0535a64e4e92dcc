"""marshmallow schemas: validation at the HTTP and import boundaries only."""
