"""`make bench`: run every benchmark and write bench/results/*.json and *.md."""

from __future__ import annotations

from . import engine_throughput


def main() -> None:
    engine_throughput.main()


if __name__ == "__main__":
    main()
