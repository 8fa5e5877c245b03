"""The frozen `vigogne-convert`: the CPU floor first (it quantizes with llama.cpp)."""

import sys

from vigogne_desktop.core.cpu_floor import check

if __name__ == "__main__":
    refusal = check()
    if refusal:
        sys.exit(f"vigogne-convert: {refusal}")
    from converters.cli import main

    sys.exit(main())
