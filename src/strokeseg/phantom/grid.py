"""Kudo-style digital validation phantom: a grid of homogeneous tiles with known perfusion.

Every axial slice holds a CBF × MTT grid of tiles for one arrival delay and one residue
shape: 7 CBF values (10–70 ml/100 g/min) × 6 MTT values (2–12 s) per slice, 7 delays
(0–12 s, so the Tmax 6 s and 10 s thresholds are exercised) × 3 residue shapes (exponential,
gamma, box) = 21 slices, 882 tiles. Tiles are separated by background gaps wider than the
smoothing kernel, and each slice carries a pure arterial tile (the AIF, no partial volume)
and a venous tile. Noise is clinical CT noise by default; the truth is per tile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strokeseg.io.geometry import Geometry
from strokeseg.io.volume import Series
from strokeseg.kinetics.constants import HEMATOCRIT_FACTOR, TISSUE_DENSITY
from strokeseg.phantom.signal import FINE_DT, AifParams, Residue, aif_curve, build_table

GRID_CBF = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0)
GRID_MTT = (2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
GRID_DELAY = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
GRID_RESIDUES = (Residue.EXPONENTIAL, Residue.GAMMA, Residue.BOX)
RHO, KH = TISSUE_DENSITY, HEMATOCRIT_FACTOR


@dataclass
class GridPhantom:
    """The series, truth maps, tile index map and AIF mask of a grid phantom."""

    series: Series
    truth: dict[str, np.ndarray]
    tile: np.ndarray  # int32 tile id per voxel (−1: background, −2: artery, −3: vein)
    interior: np.ndarray  # bool: tile voxels at least ``margin`` voxels from the tile edge
    aif_mask: np.ndarray
    tiles: list[dict[str, Any]] = field(default_factory=list)  # one dict per tile id
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def tissue(self) -> np.ndarray:
        return self.tile >= 0


@dataclass(frozen=True)
class GridConfig:
    """The grid phantom: tiles of CBF (ml/100 g/min) × MTT (s) per slice, one slice per delay (s) × residue.

    ``noise_hu`` per voxel and frame; ``reference_peak_hu`` is the peak enhancement of a grey-matter-like tile
    (CBF 50, MTT 4 s, no delay, the first residue); tiles are ``tile_px`` wide with ``gap_px`` between them.
    """

    noise_hu: float = 3.0
    frame_interval: float = 1.0
    frames: int = 70
    tile_px: int = 12
    gap_px: int = 5
    spacing_mm: float = 1.0
    reference_peak_hu: float = 20.0
    seed: int = 0
    cbf: tuple[float, ...] = GRID_CBF
    mtt: tuple[float, ...] = GRID_MTT
    delays: tuple[float, ...] = GRID_DELAY
    residues: tuple[Residue, ...] = GRID_RESIDUES


MARGIN_PX = 3  # tile-edge voxels left out of a tile's interior


@dataclass
class _Canvas:
    tile: np.ndarray
    interior: np.ndarray
    truth: dict[str, np.ndarray]
    enh: np.ndarray
    tiles: list[dict[str, Any]]


def _tissue_tile(cv: _Canvas, cfg: GridConfig, z: int, iy: int, ix: int, tab: Any, curve_args: tuple) -> None:
    """One tissue tile: its enhancement curve and exact truth (MTT quantised as the table samples it)."""
    times, amp, res, d = curve_args
    m, f = cfg.mtt[iy], cfg.cbf[ix]
    pitch = cfg.tile_px + cfg.gap_px
    y0, x0 = cfg.gap_px + pitch * iy, cfg.gap_px + pitch * ix
    sl = (z, slice(y0, y0 + cfg.tile_px), slice(x0, x0 + cfg.tile_px))
    mi = tab.mtt_index(np.array([m]))
    curve = (RHO / KH) * (f / 6000.0) * amp * tab.sample(mi, np.array([0]), np.array([d]), times)[0]
    m_q = float(tab.mtt[mi][0])
    tid = len(cv.tiles)
    cv.tile[sl] = tid
    mg = MARGIN_PX
    cv.interior[z, y0 + mg : y0 + cfg.tile_px - mg, x0 + mg : x0 + cfg.tile_px - mg] = True
    cv.enh[sl] = curve
    vals = {
        "CBF": f,
        "CBV": f * m_q / 60.0,
        "MTT": m_q,
        "Tmax": d + float(tab.residue_peak[mi, 0][0]),
        "TTP": d + float(tab.curve_peak_time[mi, 0][0]),
    }
    for k, v in vals.items():
        cv.truth[k][sl] = v
    cv.tiles.append({"id": tid, "slice": z, "residue": res.value, "delay": d, **vals})


def _blood_tiles(cv: _Canvas, cfg: GridConfig, z: int, blood: np.ndarray, times: np.ndarray) -> None:
    """Arterial and venous tiles in the extra row (pure blood: no partial volume)."""
    pitch, g, w = cfg.tile_px + cfg.gap_px, cfg.gap_px, cfg.tile_px
    y0 = g + pitch * len(cfg.mtt)
    cv.tile[z, y0 : y0 + w, g : g + w] = -2
    cv.enh[z, y0 : y0 + w, g : g + w] = blood
    xv = g + pitch
    cv.tile[z, y0 : y0 + w, xv : xv + w] = -3
    cv.enh[z, y0 : y0 + w, xv : xv + w] = np.interp(times - 6.0, times, blood, left=0.0)


def _baseline_hu(tile: np.ndarray) -> np.ndarray:
    """Air outside, 30 HU tissue, 40 HU blood, water between tiles, and a closed bone frame around the grid
    (so CT brain masking sees an "intracranial" region)."""
    base = np.where(tile == -1, -1000.0, np.where(tile <= -2, 40.0, 30.0)).astype(np.float32)
    base[:, :2, :] = 1200.0
    base[:, -2:, :] = 1200.0
    base[:, :, :2] = 1200.0
    base[:, :, -2:] = 1200.0
    base[:, 2:-2, 2:-2] = np.where(tile[:, 2:-2, 2:-2] == -1, 5.0, base[:, 2:-2, 2:-2])
    return base


def generate_grid(cfg: GridConfig = GridConfig()) -> GridPhantom:
    """Build the grid phantom (CT perfusion signal in HU, baseline 30 HU); see :class:`GridConfig`."""
    rng = np.random.default_rng(cfg.seed)
    times = np.arange(cfg.frames) * cfg.frame_interval
    aif_p = AifParams(t0=10.0, alpha=3.0, beta=1.5, amplitude=1.0)
    pitch = cfg.tile_px + cfg.gap_px
    shape = (len(cfg.delays) * len(cfg.residues), cfg.gap_px + pitch * (len(cfg.mtt) + 1), cfg.gap_px + pitch * len(cfg.cbf))
    geom = Geometry(shape, (cfg.spacing_mm, cfg.spacing_mm, 5.0))
    cv = _Canvas(
        np.full(shape, -1, np.int32),
        np.zeros(shape, bool),
        {k: np.zeros(shape, np.float32) for k in ("CBF", "CBV", "MTT", "Tmax", "TTP")},
        np.zeros((*shape, cfg.frames), np.float32),
        [],
    )
    ca = aif_curve(times, aif_p)
    tables = {
        r: build_table(aif_p, float(times[-1]), r, n_mtt=200, mtt_range=(1.0, 20.0), dispersion=np.array([0.0])) for r in cfg.residues
    }
    ref_tab = tables[cfg.residues[0]]
    ref_curve = ref_tab.sample(ref_tab.mtt_index(np.array([4.0])), np.array([0]), np.array([0.0]), times)[0]
    amp = cfg.reference_peak_hu / ((RHO / KH) * (50.0 / 6000.0) * float(ref_curve.max()))
    z = 0
    for res in cfg.residues:
        for d in cfg.delays:
            for iy in range(len(cfg.mtt)):
                for ix in range(len(cfg.cbf)):
                    _tissue_tile(cv, cfg, z, iy, ix, tables[res], (times, amp, res, d))
            _blood_tiles(cv, cfg, z, amp * ca, times)
            z += 1
    base = _baseline_hu(cv.tile)
    data = base[..., None] + cv.enh + rng.standard_normal(cv.enh.shape, dtype=np.float32) * cfg.noise_hu
    series = Series(data.astype(np.float32), geom, times)
    meta = {
        "noise_hu": cfg.noise_hu,
        "frame_interval_s": cfg.frame_interval,
        "frames": cfg.frames,
        "aif_peak_hu": float(amp * ca.max()),
        "reference_peak_hu": cfg.reference_peak_hu,
        "fine_dt": FINE_DT,
        "tile_px": cfg.tile_px,
        "gap_px": cfg.gap_px,
        "margin_px": MARGIN_PX,
    }
    return GridPhantom(series, cv.truth, cv.tile, cv.interior, cv.tile == -2, cv.tiles, meta)


def tile_medians(values: np.ndarray, grid: GridPhantom) -> np.ndarray:
    """Median of ``values`` over each tile's interior, in tile-id order (vectorised)."""
    ids = grid.tile[grid.interior]
    vals = values[grid.interior]
    order = np.argsort(ids, kind="stable")
    ids, vals = ids[order], vals[order]
    bounds = np.flatnonzero(np.diff(ids)) + 1
    return np.array([np.median(chunk) for chunk in np.split(vals, bounds)], dtype=np.float64)
