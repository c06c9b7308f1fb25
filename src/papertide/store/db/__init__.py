"""The database plumbing: engine, schema, claims, dialect helpers, migrations; the only place that knows the
dialect.
"""
