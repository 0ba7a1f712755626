#!/usr/bin/env bash
# Install the unpacked frozen facealign-gui for the current user (no root, no Python):
#   - a link ~/.local/bin/facealign-gui -> this folder's facealign-gui
#   - the menu entry, icon and AppStream metadata under ~/.local/share
# Run it from the unpacked release folder:  ./install.sh      (./install.sh --uninstall)
# packaging/smoke.sh copies this file into the release as install.sh, beside share/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${XDG_BIN_HOME:-$HOME/.local/bin}
data=${XDG_DATA_HOME:-$HOME/.local/share}
desktop=$data/applications/facealign-gui.desktop
icon=$data/icons/hicolor/scalable/apps/facealign-gui.svg
metainfo=$data/metainfo/io.github.facealign_gui.metainfo.xml

if [ "${1:-}" = "--uninstall" ]; then
  if [ -L "$bin/facealign-gui" ]; then rm -f "$bin/facealign-gui"; fi
  rm -f "$desktop" "$icon" "$metainfo"
  echo "facealign-gui: removed the link, menu entry and icon (this folder is left as it is)"
  exit 0
fi
if [ ! -x "$here/facealign-gui" ] || [ ! -d "$here/share" ]; then
  echo "install.sh: run me from the unpacked facealign-gui folder (facealign-gui and share/" \
    "must be beside me)" >&2
  exit 1
fi
if [ -e "$bin/facealign-gui" ] && [ ! -L "$bin/facealign-gui" ]; then
  echo "install.sh: $bin/facealign-gui exists and is not a link (a pip install?);" \
    "remove it first or use that one" >&2
  exit 1
fi
mkdir -p "$bin" "$(dirname "$desktop")" "$(dirname "$icon")" "$(dirname "$metainfo")"
ln -sfn "$here/facealign-gui" "$bin/facealign-gui"
# The menu entry starts this folder's program even when ~/.local/bin is not on PATH. Inside
# Exec="…" the desktop spec wants " ` $ \ escaped by a backslash; sed wants & | \ escaped too.
quoted=$(printf '%s' "$here/facealign-gui" | sed -e 's/[\\"`$]/\\&/g')
quoted=$(printf '%s' "$quoted" | sed -e 's/[&|\\]/\\&/g')
sed "s|^Exec=facealign-gui|Exec=\"$quoted\"|" "$here/share/facealign-gui.desktop" > "$desktop"
cp "$here/share/facealign-gui.svg" "$icon"
cp "$here/share/io.github.facealign_gui.metainfo.xml" "$metainfo"
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$(dirname "$desktop")" || true
fi
echo "facealign-gui: installed; start it from the menu or run: $bin/facealign-gui"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "(add $bin to your PATH to type just 'facealign-gui')" ;;
esac
