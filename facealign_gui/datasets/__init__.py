"""Readers and writers of landmark dataset formats. No Qt."""
