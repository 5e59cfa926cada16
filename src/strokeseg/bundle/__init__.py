"""Model bundles: a trained method as plain files (recipe, fold weights, whitening, T and S_min)."""

from strokeseg.bundle.bundle import FORMAT, ModelBundle, load_state_dict, save_weights, sha256_file

__all__ = ["FORMAT", "ModelBundle", "load_state_dict", "save_weights", "sha256_file"]
