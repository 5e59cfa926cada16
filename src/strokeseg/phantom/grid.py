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
from strokeseg.phantom.signal import FINE_DT, AifParams, Residue, aif_curve, build_table

GRID_CBF = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0)
GRID_MTT = (2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
GRID_DELAY = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
GRID_RESIDUES = (Residue.EXPONENTIAL, Residue.GAMMA, Residue.BOX)
RHO, KH = 1.04, 0.73


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


def generate_grid(
    noise_hu: float = 3.0,
    frame_interval: float = 1.0,
    frames: int = 70,
    tile_px: int = 12,
    gap_px: int = 5,
    spacing_mm: float = 1.0,
    reference_peak_hu: float = 20.0,
    seed: int = 0,
    cbf: tuple[float, ...] = GRID_CBF,
    mtt: tuple[float, ...] = GRID_MTT,
    delays: tuple[float, ...] = GRID_DELAY,
    residues: tuple[Residue, ...] = GRID_RESIDUES,
) -> GridPhantom:
    """Build the grid phantom (CT perfusion signal in HU, baseline 30 HU).

    The AIF amplitude is set so that a grey-matter-like tile (CBF 50, MTT 4 s, no delay,
    exponential residue) peaks at ``reference_peak_hu``.
    """
    rng = np.random.default_rng(seed)
    times = np.arange(frames) * frame_interval
    aif_p = AifParams(t0=10.0, alpha=3.0, beta=1.5, amplitude=1.0)
    pitch = tile_px + gap_px
    ny = gap_px + pitch * (len(mtt) + 1)
    nx = gap_px + pitch * len(cbf)
    nz = len(delays) * len(residues)
    geom = Geometry((nz, ny, nx), (spacing_mm, spacing_mm, 5.0))
    tile = np.full(geom.shape, -1, np.int32)
    interior = np.zeros(geom.shape, bool)
    truth = {k: np.zeros(geom.shape, np.float32) for k in ("CBF", "CBV", "MTT", "Tmax", "TTP")}
    enh = np.zeros((*geom.shape, frames), np.float32)
    tiles: list[dict[str, Any]] = []
    margin = 3
    ca = aif_curve(times, aif_p)
    tables = {
        r: build_table(aif_p, float(times[-1]), r, n_mtt=200, mtt_range=(1.0, 20.0), dispersion=np.array([0.0]))
        for r in residues
    }
    ref_tab = tables[residues[0]]
    ref_curve = ref_tab.sample(ref_tab.mtt_index(np.array([4.0])), np.array([0]), np.array([0.0]), times)[0]
    amp = reference_peak_hu / ((RHO / KH) * (50.0 / 6000.0) * float(ref_curve.max()))
    z = 0
    for res in residues:
        tab = tables[res]
        for d in delays:
            for iy, m in enumerate(mtt):
                for ix, f in enumerate(cbf):
                    y0 = gap_px + pitch * iy
                    x0 = gap_px + pitch * ix
                    sl = (z, slice(y0, y0 + tile_px), slice(x0, x0 + tile_px))
                    mi = tab.mtt_index(np.array([m]))
                    curve = (RHO / KH) * (f / 6000.0) * amp * tab.sample(mi, np.array([0]), np.array([d]), times)[0]
                    m_q = float(tab.mtt[mi][0])
                    tid = len(tiles)
                    tile[sl] = tid
                    interior[z, y0 + margin : y0 + tile_px - margin, x0 + margin : x0 + tile_px - margin] = True
                    enh[sl] = curve
                    vals = {
                        "CBF": f,
                        "CBV": f * m_q / 60.0,
                        "MTT": m_q,
                        "Tmax": d + float(tab.residue_peak[mi, 0][0]),
                        "TTP": d + float(tab.curve_peak_time[mi, 0][0]),
                    }
                    for k, v in vals.items():
                        truth[k][sl] = v
                    tiles.append({"id": tid, "slice": z, "residue": res.value, "delay": d, **vals})
            # arterial and venous tiles in the extra row (pure blood: no partial volume)
            y0 = gap_px + pitch * len(mtt)
            tile[z, y0 : y0 + tile_px, gap_px : gap_px + tile_px] = -2
            enh[z, y0 : y0 + tile_px, gap_px : gap_px + tile_px] = amp * ca
            venous = np.interp(times - 6.0, times, amp * ca, left=0.0)
            xv = gap_px + pitch
            tile[z, y0 : y0 + tile_px, xv : xv + tile_px] = -3
            enh[z, y0 : y0 + tile_px, xv : xv + tile_px] = venous
            z += 1
    base = np.where(tile == -1, -1000.0, np.where(tile <= -2, 40.0, 30.0)).astype(np.float32)
    # a closed bone frame around the grid, so CT brain masking sees an "intracranial" region
    base[:, :2, :] = 1200.0
    base[:, -2:, :] = 1200.0
    base[:, :, :2] = 1200.0
    base[:, :, -2:] = 1200.0
    base[:, 2:-2, 2:-2] = np.where(tile[:, 2:-2, 2:-2] == -1, 5.0, base[:, 2:-2, 2:-2])  # water between tiles
    data = base[..., None] + enh + rng.standard_normal(enh.shape, dtype=np.float32) * noise_hu
    series = Series(data.astype(np.float32), geom, times)
    meta = {
        "noise_hu": noise_hu,
        "frame_interval_s": frame_interval,
        "frames": frames,
        "aif_peak_hu": float(amp * ca.max()),
        "reference_peak_hu": reference_peak_hu,
        "fine_dt": FINE_DT,
        "tile_px": tile_px,
        "gap_px": gap_px,
        "margin_px": margin,
    }
    return GridPhantom(series, truth, tile, interior, tile == -2, tiles, meta)


def tile_medians(values: np.ndarray, grid: GridPhantom) -> np.ndarray:
    """Median of ``values`` over each tile's interior, in tile-id order (vectorised)."""
    ids = grid.tile[grid.interior]
    vals = values[grid.interior]
    order = np.argsort(ids, kind="stable")
    ids, vals = ids[order], vals[order]
    bounds = np.flatnonzero(np.diff(ids)) + 1
    return np.array([np.median(chunk) for chunk in np.split(vals, bounds)], dtype=np.float64)
