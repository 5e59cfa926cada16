"""nnU-Net's own ``nnUNetPredictor``, in process (``--backend nnunetv2``, the optional
``strokeseg[nnunet]`` extra): the tests' oracle and a fallback for what the native path refuses.

The predictor is set up with ``manual_initialization`` and the network built by
``nnUNetTrainer.build_network_architecture`` from ``plans.json``: nnU-Net's trainer discovery
imports every trainer module, and one of them (Primus) imports timm, which breaks wherever the
CUDA-only torchvision wheel has been removed (the CPU install strokeseg pins)."""

from __future__ import annotations

import numpy as np

from strokeseg.errors import NNUNETV2_BACKEND, InputError, Message
from strokeseg.inference.nnunet.folder import NnUNetModel


def nnunetv2_predictor(model: NnUNetModel, step: float = 0.5, mirroring: bool = True):  # pragma: no cover - needs nnunetv2
    """An ``nnUNetPredictor`` on the CPU holding ``model``'s folds."""
    try:
        import torch
        from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor
        from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer
        from nnunetv2.utilities.plans_handling.plans_handler import PlansManager
    except ImportError as err:
        raise InputError(Message(NNUNETV2_BACKEND, f" needs the nnunet extra (make nnunet-deps): {err}")) from None
    plans = PlansManager(model.plans)
    cm = plans.get_configuration(model.configuration)
    labels = plans.get_label_manager(model.dataset)
    net = nnUNetTrainer.build_network_architecture(
        plans, cm, len(model.channel_names), labels.num_segmentation_heads, enable_deep_supervision=False
    )
    predictor = nnUNetPredictor(tile_step_size=step, use_mirroring=mirroring, device=torch.device("cpu"), allow_tqdm=False)
    predictor.manual_initialization(net, plans, cm, [dict(w) for w in model.weights], model.dataset, model.trainer, model.mirror_axes)
    return predictor


def predict_arrays_nnunetv2(model: NnUNetModel, images: np.ndarray, spacing) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Labels and probabilities from ``nnUNetPredictor.predict_single_npy_array`` for ``(C, Z, Y, X)``
    images with ``spacing`` in array order (the arguments of the native ``predict_nnunet``)."""
    predictor = nnunetv2_predictor(model)
    labels, probs = predictor.predict_single_npy_array(images.astype(np.float32), {"spacing": list(spacing)}, None, None, True)
    return np.asarray(labels, np.uint8), np.asarray(probs, dtype=np.float32)
