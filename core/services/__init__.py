"""Domain services: plain functions over a database session, each owning its transaction."""
