"""Preprocessing for learned methods: brain masks, symmetric modalities (cached), whitening."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "PrepareConfig": "strokeseg.preprocessing.config",
    "PreparedCase": "strokeseg.preprocessing.prepare",
    "prepare_case": "strokeseg.preprocessing.prepare",
    "Normalizer": "strokeseg.preprocessing.normalization",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
