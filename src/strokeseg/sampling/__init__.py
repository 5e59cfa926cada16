"""Balanced patch sampling, vectorised extraction and batch augmentation."""
