"""Landmark schemes, geometry and metrics. numpy only: no Qt, no I/O."""
