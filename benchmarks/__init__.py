"""The benchmark suite behind `make bench` (see benchmarks/README.md); run.py is the entry point."""
