"""dmgbuild settings for the macOS disk image: the app beside a link to /Applications.

dmgbuild runs this file with `defines` set from its -D options (build_macos.py passes them):
    dmgbuild -s packaging/macos/dmg_settings.py -D app="dist/Vigogne Desktop.app" \
        "Vigogne Desktop" dist/Vigogne-Desktop-0.1.0-macos-arm64.dmg
"""

import os.path

application = defines["app"]  # noqa: F821 (set by dmgbuild)
app_name = os.path.basename(application)

# LZMA-compressed (readable from macOS 10.15; the app needs 14): the smallest download.
format = "ULMO"
files = [application]
symlinks = {"Applications": "/Applications"}
hide_extensions = [app_name]

# One row: drag the app onto the Applications link to its right.
window_rect = ((200, 120), (600, 320))
default_view = "icon-view"
icon_size = 128
icon_locations = {app_name: (150, 140), "Applications": (450, 140)}
