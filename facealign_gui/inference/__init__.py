"""Model cards, onnxruntime sessions, pre-processing, decoders, detection. No Qt."""
