"""Importable logic of the lab04 workflow, by stage: ``data``, ``features``, ``train``, ``analysis`` and
``report``; beside them what the rules plan with (``config``, ``inputs``, ``keys``, ``paths``, ``jobs``,
``schedule``, ``sweeps``, ``fingerprint``).

Modules that build or train Keras models (``lab04.train.models``, ``fit``, ``depth`` and the like)
import TensorFlow themselves; everything the Snakefile imports while planning stays free of it, so that
dry-runs, aggregation and most tests do not pay its start-up cost.
"""
