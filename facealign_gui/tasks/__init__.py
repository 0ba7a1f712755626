"""Qt-free pieces of the window's background work: request tokens (the one staleness rule),
the result cache, and the run loop shared by the window's run and labelling's "predict all".

Nothing here imports Qt; `facealign_gui.app.worker` wraps these in a Qt worker.
"""
