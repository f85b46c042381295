"""asl-live trainer: the ML core (hand crops, data, model, evaluation) and the `asl-train` CLI.

Nothing in this package imports Qt or `asl_live`; the app imports from here so that training
and live inference share one preprocessing path.
"""

__version__ = "0.1.0"
