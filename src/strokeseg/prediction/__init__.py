"""The prediction engines: trained strokeseg bundles and nnU-Net v2 model folders, one case at a time, with the
same interface (``load_case``, ``predict``, ``on``) and the same :class:`Prediction` (labels, probabilities, volumes,
the plausibility guard, the clinical read-out). Workflows run them over datasets."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "PredictOptions": "strokeseg.prediction.engine",
    "Prediction": "strokeseg.prediction.engine",
    "Predictor": "strokeseg.prediction.engine",
    "predict_case": "strokeseg.prediction.engine",
    "write_prediction": "strokeseg.prediction.engine",
    "NnUNetOptions": "strokeseg.prediction.nnunet",
    "NnUNetRunner": "strokeseg.prediction.nnunet",
    "load_model": "strokeseg.prediction.nnunet",
    "load_predictor": "strokeseg.prediction.nnunet",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
