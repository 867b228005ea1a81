"""Importable logic of the lab04 workflow: data, features, models, training, tables and report.

Modules that need TensorFlow (``models``, ``training``) import it themselves, so that dry-runs,
aggregation and most tests stay free of its start-up cost.
"""
