"""The rule language: models, loading with positions, parsers and the evaluation engine."""
