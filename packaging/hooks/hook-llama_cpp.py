"""PyInstaller hook for llama_cpp: its libraries are opened through ctypes, so name them.

pyinstaller-hooks-contrib has no hook for llama-cpp-python. The libraries go back to
llama_cpp/lib, where llama_cpp looks for them (next to its own modules).
"""

from pathlib import Path

from bundle_contents import llama_libraries  # packaging/hooks, put on sys.path by the spec
from PyInstaller.utils.hooks import collect_submodules, get_package_paths

_, package_dir = get_package_paths("llama_cpp")
binaries = [(str(path), "llama_cpp/lib") for path in llama_libraries(Path(package_dir) / "lib")]
# The OpenAI server that sharing starts (`--share-server`) imports its parts by name.
hiddenimports = collect_submodules("llama_cpp.server")
