"""Benchmarks: each compares Vigogne Desktop with its peer side by side, in one run, as ratios."""
