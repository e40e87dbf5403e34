"""Benchmarks and torture tests for CXR Desktop: ``python -m bench`` (see bench/__main__.py)."""
