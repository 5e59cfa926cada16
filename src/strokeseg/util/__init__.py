"""Small shared utilities (progress bars, hashing, JSON) used by every stage."""
