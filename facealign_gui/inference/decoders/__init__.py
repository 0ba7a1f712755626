"""Heatmap/regression decoders, one module per model family: model output -> image points."""
