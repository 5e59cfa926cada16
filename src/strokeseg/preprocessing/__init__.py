"""Preprocessing for learned methods: brain masks, symmetric modalities (cached), whitening."""
