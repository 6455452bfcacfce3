"""Charts and reports drawn off the event loop: the process pool (pool) and what its workers run (drawing)."""
