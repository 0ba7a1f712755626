"""Qt-free logic of the window's views: gestures on landmarks (hit-testing, selection math,
label decluttering). The Qt widgets in `facealign_gui.app` only forward events here."""
