"""Metric state (a bounded series store) and its prometheus collector."""
