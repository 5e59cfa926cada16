"""nnU-Net labels (or regions) onto strokeseg's canonical labels (0 background, 1 penumbra, 2 core),
and the opt-in threshold on the foreground probability."""

from __future__ import annotations

import numpy as np

from strokeseg.errors import NNUNET_LABELS, InputError, Message
from strokeseg.inference.nnunet.folder import NnUNetModel
from strokeseg.io.labels import CORE, PENUMBRA, meaning_of_name, nnunet_label_values

CANONICAL = {"core": CORE, "penumbra": PENUMBRA, "background": 0}


def label_values(model: NnUNetModel) -> dict[str, int]:
    """Name → the value nnU-Net writes for it (:func:`strokeseg.io.labels.nnunet_label_values`)."""
    return nnunet_label_values(model.labels, model.dataset.get("regions_class_order"))


def canonical_lut(model: NnUNetModel, overrides: dict[str, str] | None = None) -> np.ndarray:
    """A lookup table from nnU-Net label values to canonical labels.

    ``overrides`` maps model label names to ``core``, ``penumbra`` or ``background``
    (``--nnunet-labels lesion=core``); other names are read by keyword (``core``, ``infarct``,
    ``lesion`` → core; ``penumbra``, ``hypoperfused`` → penumbra). A name that is neither is refused
    in one line. For nested regions (hypoperfused ⊇ core), the later region is painted over the
    earlier one, so the hypoperfused value marks only the penumbra, as strokeseg means it.
    """
    overrides = dict(overrides or {})
    values = label_values(model)
    unknown = sorted(set(overrides) - set(values))
    if unknown:
        raise InputError(Message(NNUNET_LABELS, f" names {', '.join(unknown)}, which the model does not have ({', '.join(values)})"))
    lut = np.zeros(max(values.values(), default=0) + 1, np.uint8)
    for name, value in values.items():
        meaning = CANONICAL.get(overrides[name]) if name in overrides else meaning_of_name(name)
        if meaning is None:
            raise InputError(
                Message(
                    f"model label {name!r} (value {value}) has no strokeseg meaning; give ",
                    NNUNET_LABELS,
                    f" {name}=core|penumbra|background",
                )
            )
        lut[value] = meaning
    return lut


def foreground_probability(model: NnUNetModel, probs: np.ndarray) -> np.ndarray:
    """The lesion probability ``(Z, Y, X)``: 1 − P(background) for softmax models, the largest
    region probability for region models."""
    if model.has_regions:
        return np.asarray(probs.max(0), np.float32)
    return np.asarray(1.0 - probs[0], np.float32)


def thresholded_labels(model: NnUNetModel, probs: np.ndarray, threshold: float) -> np.ndarray:
    """nnU-Net label values with an explicit threshold ``T`` on the foreground probability: for
    softmax models, the most probable foreground class wherever 1 − P(background) ≥ T; for region
    models, each region painted in ``regions_class_order`` where its probability ≥ T."""
    if model.has_regions:
        out = np.zeros(probs.shape[1:], np.uint8)
        for i, c in enumerate(model.dataset["regions_class_order"]):
            out[probs[i] >= threshold] = c
        return out
    fg = foreground_probability(model, probs) >= threshold
    best = probs[1:].argmax(0).astype(np.uint8) + 1
    return np.where(fg, best, 0).astype(np.uint8)
