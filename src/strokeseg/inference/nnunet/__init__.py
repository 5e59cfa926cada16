"""Trained nnU-Net v2 model folders, run natively: nnU-Net's own inference arithmetic (transpose, crop
to non-zero, normalisation, resampling, Gaussian sliding window with mirroring, fold averaging and
the export back to the input grid), with no ``nnunetv2`` import at run time.

* :mod:`.folder` finds and checks a results folder and loads its checkpoints safely;
* :mod:`.preprocess` is nnU-Net's ``DefaultPreprocessor`` for inference;
* :mod:`.predictor` is ``nnUNetPredictor``'s sliding window and export;
* :mod:`.oracle` runs ``nnunetv2`` itself (the ``--backend nnunetv2`` fallback and the tests' oracle).
"""
