"""Shipped recipes (YAML data, one per published method and a -fast variant of each)."""
