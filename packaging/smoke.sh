#!/usr/bin/env bash
# Build the frozen one-folder app and prove it starts: launch it with
# FACEALIGN_GUI_QUIT_AFTER_MS so it quits after drawing its first window, expect exit 0.
# Not part of CI (a PyInstaller build takes a few minutes); run by hand before a release.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q "pyinstaller>=6.10" -e .
pyinstaller --noconfirm --log-level WARN --distpath build/dist --workpath build/work \
  packaging/facealign-gui.spec
app=build/dist/facealign-gui/facealign-gui
"$app" --version
export FACEALIGN_GUI_QUIT_AFTER_MS=1500
if command -v xvfb-run >/dev/null 2>&1; then
  xvfb-run -a -s "-screen 0 1280x800x24" "$app"
else
  QT_QPA_PLATFORM=offscreen "$app"
fi
status=$?
# The frozen app must also run the embedded default model headlessly.
"$app" predict --help >/dev/null
echo "smoke: frozen app exited with $status"
exit "$status"
