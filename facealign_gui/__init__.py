"""facealign-gui: evaluate, inspect and label facial-landmark models."""

__version__ = "0.1.0"
