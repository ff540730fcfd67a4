"""Internal utilities (validation, docstrings, caching)."""
