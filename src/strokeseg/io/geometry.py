"""Voxel grid geometry: shape, spacing, origin and direction, with NIfTI/ITK conversions.

Convention (stated once for the package): arrays are indexed ``(Z, Y, X)``; the geometry
follows ITK, i.e. ``spacing``/``origin`` are given in ``(x, y, z)`` order, in mm, in the LPS
patient frame, and ``direction`` is ITK's 3x3 direction-cosine matrix (row-major), so that
the world point of array index ``[k, j, i]`` is ``origin + direction @ (spacing * [i, j, k])``.
NIfTI affines are RAS; ``affine_ras`` / ``from_affine_ras`` convert between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import SimpleITK as sitk

_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


@dataclass(frozen=True)
class StoredHeader:
    """The geometry fields of a NIfTI-1 header exactly as a file stored them, so that an output on the
    same grid repeats them bit for bit: sform rows and code, qform quaternion, offsets, ``qfac`` and code,
    and ``pixdim[1:4]``. ``shape`` is the grid ``(Z, Y, X)`` they belong to."""

    shape: tuple[int, int, int]
    srow: tuple[float, ...]  # srow_x, srow_y, srow_z: 12 values
    sform_code: int
    quatern: tuple[float, ...]  # quatern_b, _c, _d, qoffset_x, _y, _z
    qfac: float
    qform_code: int
    pixdim: tuple[float, float, float]

    _QUATERN = ("quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z")

    @classmethod
    def of(cls, header: Any, shape_zyx: tuple[int, int, int]) -> StoredHeader:
        """The fields of a nibabel NIfTI header."""
        srow = np.concatenate([np.asarray(header[k], dtype=float) for k in ("srow_x", "srow_y", "srow_z")])
        pix = np.asarray(header["pixdim"], dtype=float)
        return cls(
            shape=shape_zyx,
            srow=tuple(srow.tolist()),
            sform_code=int(header["sform_code"]),
            quatern=tuple(float(header[k]) for k in cls._QUATERN),
            qfac=float(pix[0]),
            qform_code=int(header["qform_code"]),
            pixdim=(float(pix[1]), float(pix[2]), float(pix[3])),
        )

    def apply(self, header: Any) -> None:
        """Write these fields into a nibabel NIfTI-1 header (stored as float32, as they were read)."""
        rows = np.asarray(self.srow).reshape(3, 4)
        for k, row in zip(("srow_x", "srow_y", "srow_z"), rows):
            header[k] = row
        header["sform_code"] = self.sform_code
        for k, v in zip(self._QUATERN, self.quatern):
            header[k] = v
        header["qform_code"] = self.qform_code
        header["pixdim"][0] = self.qfac
        header["pixdim"][1:4] = self.pixdim


@dataclass(frozen=True)
class Geometry:
    """The grid of a 3D volume.

    Attributes:
        shape: array shape ``(Z, Y, X)``.
        spacing: voxel size in mm, ``(x, y, z)``.
        origin: world position of voxel ``[0, 0, 0]`` in mm (LPS), ``(x, y, z)``.
        direction: 3x3 direction cosines, row-major (ITK ``GetDirection``).
    """

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    #: the exact 3x3 LPS linear part (``direction @ diag(spacing)``) as read from a file, row-major; kept
    #: so that outputs carry the input's affine bit for bit (sheared and oblique grids included)
    matrix: tuple[float, ...] | None = None
    #: the NIfTI header this grid was read from (None for other sources): outputs on this grid repeat it
    stored: StoredHeader | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        object.__setattr__(self, "spacing", tuple(float(s) for s in self.spacing))
        object.__setattr__(self, "origin", tuple(float(s) for s in self.origin))
        object.__setattr__(self, "direction", tuple(float(s) for s in self.direction))
        if self.matrix is not None:
            object.__setattr__(self, "matrix", tuple(float(s) for s in self.matrix))
        if len(self.shape) != 3 or len(self.spacing) != 3 or len(self.origin) != 3 or len(self.direction) != 9:
            raise ValueError("Geometry needs a 3D shape, spacing, origin and a 3x3 direction")
        if min(self.shape) < 1:
            raise ValueError(f"every axis needs at least one voxel, got shape {self.shape} (z, y, x)")
        values = np.asarray(self.spacing + self.origin + self.direction + (self.matrix or ()))
        if not np.all(np.isfinite(values)):
            raise ValueError("the affine holds NaN or infinite values")
        if not min(self.spacing) > 0:
            raise ValueError(f"voxel spacing must be positive, got {self.spacing} mm")
        if abs(float(np.linalg.det(self.direction_matrix))) < 1e-6:
            raise ValueError("the affine is singular (its axes are parallel or zero)")

    # ------------------------------------------------------------------ derived values
    @property
    def spacing_zyx(self) -> tuple[float, float, float]:
        """Spacing in array-axis order ``(Z, Y, X)`` (what SciPy's ``sampling=`` wants)."""
        return (self.spacing[2], self.spacing[1], self.spacing[0])

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in ml (1 ml = 1000 mm³): ``|det|`` of the affine's linear part, so that a
        sheared (gantry-tilted) grid counts its true, smaller voxel volume."""
        det = abs(float(np.linalg.det(self.direction_matrix)))  # 1 for an orthonormal grid, < 1 when sheared
        return float(np.prod(self.spacing)) * (1.0 if abs(det - 1.0) < 1e-9 else det) / 1000.0

    @property
    def shear_deg(self) -> float:
        """Largest departure from 90° between two voxel axes, in degrees (0 for an orthogonal grid)."""
        d = self.direction_matrix
        cos = np.clip(np.abs([d[:, 0] @ d[:, 1], d[:, 0] @ d[:, 2], d[:, 1] @ d[:, 2]]), 0.0, 1.0)
        return float(np.degrees(np.arcsin(cos)).max())

    @property
    def direction_matrix(self) -> np.ndarray:
        return np.asarray(self.direction, dtype=float).reshape(3, 3)

    def affine_lps(self) -> np.ndarray:
        """4x4 matrix mapping ``(i, j, k, 1)`` = (x-index, y-index, z-index) to LPS mm."""
        aff = np.eye(4)
        if self.matrix is not None:
            aff[:3, :3] = np.asarray(self.matrix).reshape(3, 3)
        else:
            aff[:3, :3] = self.direction_matrix @ np.diag(self.spacing)
        aff[:3, 3] = self.origin
        return aff

    def affine_ras(self) -> np.ndarray:
        """The NIfTI (RAS) affine of this grid, for voxel indices in ``(i, j, k)`` order."""
        result: np.ndarray = _LPS_TO_RAS @ self.affine_lps()
        return result

    def index_to_world(self, idx_zyx: np.ndarray) -> np.ndarray:
        """World (LPS, mm) coordinates of array indices ``(..., 3)`` given as ``(z, y, x)``."""
        idx = np.asarray(idx_zyx, dtype=float)[..., ::-1]
        result: np.ndarray = idx @ self.affine_lps()[:3, :3].T + np.asarray(self.origin)
        return result

    def world_to_index(self, pts_lps: np.ndarray) -> np.ndarray:
        """Continuous array indices ``(..., 3)`` in ``(z, y, x)`` order of world points (LPS)."""
        inv = np.linalg.inv(self.affine_lps()[:3, :3])
        ijk = (np.asarray(pts_lps, dtype=float) - np.asarray(self.origin)) @ inv.T
        result: np.ndarray = ijk[..., ::-1]
        return result

    def world_corners(self) -> np.ndarray:
        """The 8 corners of the voxel-centre bounding box, LPS mm, shape ``(8, 3)``."""
        z, y, x = (s - 1 for s in self.shape)
        corners = np.array([[a, b, c] for a in (0, z) for b in (0, y) for c in (0, x)], dtype=float)
        return self.index_to_world(corners)

    # ------------------------------------------------------------------ comparison
    def same_grid(self, other: Geometry, atol: float = 1e-3) -> bool:
        """True when both grids have the same shape and (within ``atol`` mm) the same voxels."""
        if self.shape != other.shape:
            return False
        return bool(np.allclose(self.affine_lps(), other.affine_lps(), atol=atol))

    def describe(self) -> str:
        """The grid in one line: size (x × y × z), spacing in mm."""
        sp = "×".join(f"{s:g}" for s in self.spacing)
        shear = self.shear_deg
        extra = f", sheared {shear:.2g}°" if shear > 0.01 else ""
        return f"{self.shape[2]}×{self.shape[1]}×{self.shape[0]} voxels (x×y×z) at {sp} mm{extra}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "shape_zyx": list(self.shape),
            "spacing_xyz_mm": list(self.spacing),
            "origin_lps_mm": list(self.origin),
            "direction": list(self.direction),
            "shear_deg": self.shear_deg,
        }

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_affine_ras(cls, affine: np.ndarray, shape_zyx: tuple[int, ...]) -> Geometry:
        """Geometry of a NIfTI image from its RAS affine (voxel order ``i, j, k``).

        The affine is validated, never changed: a sheared or oblique affine is kept exactly
        (``matrix``), and a non-finite, singular or zero-length-axis affine raises ``ValueError``.
        """
        affine = np.asarray(affine, dtype=float)
        if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
            raise ValueError("the affine holds NaN or infinite values")
        lps = _LPS_TO_RAS @ affine
        m = lps[:3, :3]
        spacing = np.linalg.norm(m, axis=0)
        if not np.all(spacing > 0):
            raise ValueError(f"the affine has a zero-length axis (spacing {spacing.round(4).tolist()} mm)")
        return cls(
            shape=tuple(int(s) for s in shape_zyx[:3]),  # type: ignore[arg-type]
            spacing=tuple(spacing.tolist()),  # type: ignore[arg-type]
            origin=tuple(lps[:3, 3].tolist()),  # type: ignore[arg-type]
            direction=tuple((m / spacing).ravel().tolist()),
            matrix=tuple(m.ravel().tolist()),
        )

    @classmethod
    def from_sitk(cls, image: sitk.Image) -> Geometry:
        """The geometry of a SimpleITK image."""
        size = image.GetSize()  # (x, y, z[, t])
        if image.GetDimension() == 2:
            return cls((1, size[1], size[0]), (*image.GetSpacing(), 1.0), (*image.GetOrigin(), 0.0))
        dir_full = np.asarray(image.GetDirection()).reshape(image.GetDimension(), image.GetDimension())
        return cls(
            shape=(size[2], size[1], size[0]),
            spacing=tuple(image.GetSpacing()[:3]),  # type: ignore[arg-type]
            origin=tuple(image.GetOrigin()[:3]),  # type: ignore[arg-type]
            direction=tuple(dir_full[:3, :3].ravel().tolist()),
        )

    def apply_to_sitk(self, image: sitk.Image) -> sitk.Image:
        """Set spacing, origin and direction of a 3D SimpleITK image to this geometry."""
        image.SetSpacing(self.spacing)
        image.SetOrigin(self.origin)
        image.SetDirection(self.direction)
        return image


def isotropic(shape_zyx: tuple[int, int, int], spacing: float | tuple[float, float, float] = 1.0) -> Geometry:
    """A geometry with identity direction at the origin (handy for synthetic volumes)."""
    sp = (spacing, spacing, spacing) if isinstance(spacing, (int, float)) else spacing
    return Geometry(shape_zyx, sp)
