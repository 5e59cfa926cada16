"""Trained nnU-Net v2 model folders, run natively: nnU-Net's own inference arithmetic (transpose, crop
to non-zero, normalisation, resampling, Gaussian sliding window with mirroring, fold averaging and
the export back to the input grid), with no ``nnunetv2`` import at run time.

* :mod:`.folder` finds and checks a results folder and loads its checkpoints safely;
* :mod:`.preprocess` is nnU-Net's ``DefaultPreprocessor`` for inference;
* :mod:`.predictor` is ``nnUNetPredictor``'s sliding window and export;
* :mod:`.oracle` runs ``nnunetv2`` itself (the ``--backend nnunetv2`` fallback and the tests' oracle).
"""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); the other modules of the package are internal
_API = {
    "NnUNetModel": "strokeseg.inference.nnunet.folder",
    "load_nnunet_model": "strokeseg.inference.nnunet.folder",
    "NnUNetRunConfig": "strokeseg.inference.nnunet.predictor",
    "NnUNetOutput": "strokeseg.inference.nnunet.predictor",
    "predict_nnunet": "strokeseg.inference.nnunet.predictor",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
