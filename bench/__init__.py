"""The performance benchmark (GitHub issue 6): ``python -m bench.run [--quick]``."""
