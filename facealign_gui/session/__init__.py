"""The labelling session, persisted in SQLite. No Qt."""
