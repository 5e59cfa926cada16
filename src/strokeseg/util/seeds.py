"""Seed derivation: every random stream of a run is a fixed function of the recipe's seed.

The strides are distinct primes so that streams derived from neighbouring seeds, epochs and
folds never coincide. Changing any of them changes every trained model: they are part of the
reproducibility contract (``benchmarks/check_unchanged.py``).
"""

from __future__ import annotations

FOLD_STRIDE = 1000  # fold k of recipe seed s trains with seed s·1000 + k
EPOCH_STRIDE = 7919  # torch randomness of epoch e: fold seed · 7919 + e
BATCH_NORM_OFFSET = 104729  # precise batch-norm passes draw their own stream
AUGMENT_STRIDE = 100003  # batch augmentation of epoch e: sampler seed · 100003 + e
PHANTOM_COHORT_KEY = 7919  # the phantom cohort's patient-level stream: default_rng([seed, 7919])


def fold_seed(seed: int, fold: int) -> int:
    """The seed of fold ``fold`` of a run with recipe seed ``seed``."""
    return int(seed) * FOLD_STRIDE + int(fold)


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of an epoch's torch randomness (dropout, adversarial shuffles)."""
    return int(seed) * EPOCH_STRIDE + int(epoch)


def batch_norm_seed(seed: int, epoch: int) -> int:
    """The seed of the precise batch-norm passes after an epoch."""
    return epoch_seed(seed, epoch) + BATCH_NORM_OFFSET


def augment_seed(seed: int, epoch: int) -> int:
    """The seed of an epoch's batch augmentation."""
    return int(seed) * AUGMENT_STRIDE + int(epoch)
