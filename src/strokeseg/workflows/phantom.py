"""Phantom cohorts with vendor-style maps: the phantom (which knows the truth) composed with the
perfusion stage (which computes what a scanner's software would show).

The phantom package itself does not import the perfusion code it is used to test; the maps are
made here and handed to :func:`strokeseg.phantom.writer.write_cohort`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.phantom.case import PhantomCase, PhantomConfig
from strokeseg.phantom.grid import GridConfig, generate_grid
from strokeseg.phantom.writer import CohortSpec, write_cohort, write_grid


def vendor_maps(case: PhantomCase, fwhm_mm: float | None = None) -> dict[str, np.ndarray]:
    """CBF, CBV, MTT, Tmax, TTP computed by strokeseg's oSVD pipeline from the case's raw series.

    The phantom's "vendor" maps use delay-insensitive oSVD, the family commercial packages use, without
    strokeseg's peak-bias correction, whatever strokeseg's own default is, so that the phantom cohorts
    stay what they were.
    """
    from strokeseg.perfusion.config import Method, PerfusionConfig
    from strokeseg.perfusion.maps import compute_maps

    kw: dict[str, Any] = {"method": Method.OSVD, "peak_correction": False}
    if fwhm_mm is not None:
        kw["spatial_fwhm_mm"] = fwhm_mm
    if case.meta["modality"] == "mr":
        cfg = PerfusionConfig.for_modality("mr", echo_time=case.meta["echo_time_s"], relaxivity_ratio=case.meta["relaxivity_ratio"], **kw)
    else:
        cfg = PerfusionConfig.for_modality("ct", **kw)
    return compute_maps(case.series, cfg, show_progress=False).maps


def write_phantom_cohort(
    out: Path, spec: CohortSpec, jobs: int = 1, on_case: Callable[[int], None] | None = None, progress: bool = False
) -> list[dict[str, Any]]:
    """Write a phantom cohort with vendor-style maps (see :class:`CohortSpec`); returns its manifest rows.

    ``on_case`` is called with each case's index when it is written; ``progress`` shows a bar (or log lines).
    """
    if not progress:
        return write_cohort(Path(out), spec, vendor_maps, jobs, on_case)
    from strokeseg.util.progress import progress_bar

    with progress_bar(total=spec.n_cases, desc="phantom", unit="case") as bar:

        def done(i: int) -> None:
            bar.update(1)
            if on_case is not None:
                on_case(i)

        return write_cohort(Path(out), spec, vendor_maps, jobs, done)


def write_grid_phantom(out: Path, cfg: GridConfig) -> int:
    """Generate the grid phantom and write it (a one-case manifest plus ``tiles.csv``); returns the number of tiles."""
    grid = generate_grid(cfg)
    write_grid(Path(out), grid)
    return len(grid.tiles)


def generate_phantom(
    out: str | Path, n_cases: int = 4, layout: str = "isles2018", seed: int = 0, config: PhantomConfig | None = None
) -> list[dict[str, Any]]:
    """Write ``n_cases`` phantom cases (default physiology: :class:`PhantomConfig`) into ``out`` in
    ``layout`` (``isles2018``, ``isles2015-spes`` for MRI, or ``manifest``); returns the manifest rows.

    Examples:
        >>> import tempfile
        >>> from strokeseg.phantom.case import PhantomConfig
        >>> rows = generate_phantom(tempfile.mkdtemp(), 1, config=PhantomConfig(slices=2, matrix=(48, 48), frames=30))
        >>> rows[0]["case_id"], rows[0]["group"] in ("LVO", "non-LVO", "no-stroke")
        ('case_1', True)
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return write_phantom_cohort(out, CohortSpec(n_cases, config or PhantomConfig(), layout, seed))


def cohort_summary(rows: list[dict[str, Any]], modality: str, layout: str, out: Path) -> str:
    """One line: how many cases and patients were written, by group, where."""
    groups: dict[str, int] = {}
    for r in rows:
        groups[r["group"]] = groups.get(r["group"], 0) + 1
    by_group = ", ".join(f"{k} {v}" for k, v in sorted(groups.items()))
    patients = len({r["patient_id"] for r in rows})
    return f"wrote {len(rows)} {modality.upper()} phantom cases ({patients} patients; {by_group}) in the {layout} layout to {out}"


__all__ = ["CohortSpec", "cohort_summary", "generate_phantom", "vendor_maps", "write_grid", "write_grid_phantom", "write_phantom_cohort"]
