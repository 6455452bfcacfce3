"""Several bot replicas (SPEC 10): updates by webhook through one URL, conversations in Redis."""
