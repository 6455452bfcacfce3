"""Benchmarks that print a figure beside its baseline (SPEC section 9)."""
