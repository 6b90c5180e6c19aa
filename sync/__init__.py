"""Replication between the local SQLite replica and the shared PostgreSQL server."""
