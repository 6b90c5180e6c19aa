"""Storage: the schema, engines, migrations and the domain operations every writer uses."""
