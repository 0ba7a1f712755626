"""Readers and writers of landmark dataset formats, listed in one table (`formats`). No Qt."""
