"""Anomaly detectors at run time: measures over time-bucketed windows, and the alert lifecycle."""
