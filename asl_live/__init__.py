"""asl-live: real-time ASL digit (0-9) recognition from a webcam.

The modules at this level (smoothing, live, drawing, source, capture, settings, synthvideo,
bench) never import Qt, so the recognition chain runs headless in tests and benchmarks;
only `asl_live.gui` and `asl_live.main` know about the window.
"""

__version__ = "0.1.0"
