#!/usr/bin/env bash
# Build the frozen one-folder app (build/dist/facealign-gui/) and prove it works:
#   1. `facealign-gui --version` answers;
#   2. the window opens and quits by itself (FACEALIGN_GUI_QUIT_AFTER_MS) with exit code 0,
#      under xvfb-run when it is installed, else on Qt's offscreen platform;
#   3. the embedded default model runs headlessly: `predict` on the takeo fixture
#      (../shared/fixtures/takeo.ppm, skipped when absent) writes one face;
# then adds install.sh and share/ (menu entry, icon, metainfo) to the folder and packs it as
# build/facealign-gui-<version>-linux-<arch>.tar.gz, the archive a user unpacks and runs.
# Prints the build time, the folder size and the archive size. Not part of CI (a build takes several minutes);
# run it by hand before a release:  bash packaging/smoke.sh   (SKIP_BUILD=1 reuses the build)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
app=build/dist/facealign-gui/facealign-gui

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  "$python" -m pip install -q "pyinstaller>=6.10" -e .
  start=$(date +%s)
  "$python" -m PyInstaller --noconfirm --log-level WARN --distpath build/dist \
    --workpath build/work packaging/facealign-gui.spec
  echo "smoke: build took $(( $(date +%s) - start )) s"
fi
echo "smoke: folder size $(du -sh build/dist/facealign-gui | cut -f1)"

"$app" --version

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
if command -v xvfb-run >/dev/null 2>&1; then
  HOME="$tmp" FACEALIGN_GUI_QUIT_AFTER_MS=1500 \
    xvfb-run -a -s "-screen 0 1280x800x24" "$app" || status=$?
else
  HOME="$tmp" FACEALIGN_GUI_QUIT_AFTER_MS=1500 QT_QPA_PLATFORM=offscreen "$app" || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "smoke: FAILED: the window exited with $status" >&2
  exit 1
fi
echo "smoke: window opened and quit with exit code 0"

takeo=../shared/fixtures/takeo.ppm
if [ -f "$takeo" ]; then
  "$app" predict --quiet --json --model mediapipe_face_landmark "$takeo" \
    -o "$tmp/takeo.csv" > "$tmp/predict.json"
  count=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' \
    "$tmp/predict.json")
  if [ "$count" != 1 ]; then
    echo "smoke: FAILED: predict wrote $count faces for takeo, expected 1" >&2
    exit 1
  fi
  echo "smoke: embedded default model predicted takeo's face"
else
  echo "smoke: $takeo not found, skipped the predict check"
fi

# The release archive: the folder plus what install.sh needs.
dist=build/dist/facealign-gui
mkdir -p "$dist/share"
cp packaging/linux/facealign-gui.desktop packaging/linux/facealign-gui.svg \
  packaging/linux/io.github.facealign_gui.metainfo.xml "$dist/share/"
cp packaging/install-linux.sh "$dist/install.sh"
chmod +x "$dist/install.sh"
version=$("$app" --version | awk '{print $2}')
archive=build/facealign-gui-$version-linux-$(uname -m).tar.gz
tar -C build/dist -czf "$archive" facealign-gui
echo "smoke: wrote $archive ($(du -h "$archive" | cut -f1))"
echo "smoke: OK"
