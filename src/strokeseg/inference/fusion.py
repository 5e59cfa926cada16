"""Inference copies of networks with every convolution → batch-norm pair folded into one convolution.

In eval mode a batch norm after a convolution is an affine map per channel, so it folds into
the convolution's weights and bias (``torch.nn.utils.fusion.fuse_conv_bn_eval``): the same
function, one memory pass fewer per layer. On the CT-2D network this removes about a quarter of
the CPU time of a sliding-window prediction, with probabilities equal to within float32 rounding
(max |Δp| ≈ 2·10⁻⁷ measured; ``tests/inference/test_fusion.py`` bounds it at 10⁻⁵).

Only pairs that follow each other directly inside an ``nn.Sequential`` are folded, which is how
every strokeseg network builds them; anything else is left as it is. A residual block whose body is
then one convolution with an identity short connection (the decoder blocks of the asymmetric
residual U-Net) also folds that connection into the convolution (``ResBlock.fold_identity_skip``).
"""

from __future__ import annotations

import copy
import itertools

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

_PAIRS = ((nn.Conv2d, nn.BatchNorm2d), (nn.Conv3d, nn.BatchNorm3d), (nn.Conv1d, nn.BatchNorm1d))


def fold_batch_norms(model: nn.Module, inplace: bool = False) -> tuple[nn.Module, int]:
    """An eval-mode copy of ``model`` with conv → BN pairs folded; returns ``(copy, pairs folded)``.

    ``model`` itself is not changed unless ``inplace`` (for a network loaded only to predict).
    The result's batch norms become ``nn.Identity``, so its ``state_dict`` no longer matches the
    original's: it is for prediction only.
    """
    fused = (model if inplace else copy.deepcopy(model)).eval()
    n = 0
    for seq in [m for m in fused.modules() if isinstance(m, nn.Sequential)]:
        kids = list(seq.named_children())
        for (name_a, a), (name_b, b) in itertools.pairwise(kids):
            if any(type(a) is conv and type(b) is bn for conv, bn in _PAIRS) and b.track_running_stats:  # type: ignore[union-attr]
                setattr(seq, name_a, fuse_conv_bn_eval(a, b))  # type: ignore[arg-type,type-var]
                setattr(seq, name_b, nn.Identity())
                n += 1
    for m in fused.modules():
        fold = getattr(m, "fold_identity_skip", None)
        if callable(fold):
            fold()
    return fused, n
