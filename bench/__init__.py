"""Benchmark scripts: a national-scale data set in PostgreSQL and the timings taken on it."""
