"""Router-level filters."""
