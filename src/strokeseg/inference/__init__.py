"""Inference: sliding windows, MC-dropout, ensembles and TTA; whole-case prediction from a bundle."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "InferenceConfig": "strokeseg.inference.config",
    "WindowConfig": "strokeseg.inference.config",
    "sliding_window_predict": "strokeseg.inference.sliding_window",
    "predict_probs": "strokeseg.inference.predict",
    "labels_from_probs": "strokeseg.inference.predict",
    "labels_argmax": "strokeseg.inference.predict",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
