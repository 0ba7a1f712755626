"""Headless sub-commands of the `facealign-gui` entry point (no Qt)."""
