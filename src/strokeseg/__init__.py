"""strokeseg: acute ischaemic stroke imaging from raw 4D perfusion to a clinical read-out.

Axis convention (the whole package): 3D volumes are NumPy arrays indexed ``(Z, Y, X)``
(SimpleITK's array order; X is the fastest axis), multi-channel volumes ``(C, Z, Y, X)``,
and 4D perfusion series ``(Z, Y, X, T)`` with time last. Geometry is kept beside the
arrays in :class:`strokeseg.io.Geometry` (ITK/LPS convention, spacing in mm).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
