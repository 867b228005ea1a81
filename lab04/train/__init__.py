"""Models and training: build from config, fit, write a pass's outputs, size cluster requests."""
