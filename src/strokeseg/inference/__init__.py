"""Inference: sliding windows, MC-dropout, ensembles and TTA; whole-case prediction from a bundle."""
