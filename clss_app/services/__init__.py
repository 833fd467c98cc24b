"""Domain rules in plain Python: no Reflex import below this package."""
