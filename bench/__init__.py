"""The benchmark: `python -m bench` (README, "Benchmarks")."""
