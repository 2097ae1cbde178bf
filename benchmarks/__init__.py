"""Offline benchmarks: numbers about Grove measured on this machine (nothing here runs in CI)."""
