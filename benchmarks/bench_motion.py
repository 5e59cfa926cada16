"""Motion correction: how close the registration comes to known head motion, and what it costs.

A CT phantom series of 256×256×16×50 (x×y×z×t) gets rigid head motion (``--quirk head-motion``:
a third of the frames after the second rotated by up to 2° about each axis and shifted by up to
3 mm along each) from three seeds. For every moved frame the registration's error is the largest
distance, over the registration points (the skull's edges), between where the estimate and the
truth put them; a frame is missed when that exceeds 1 mm. Also the seconds per moved frame, and
``correct_motion`` on the still series. Single-threaded NumPy work, so the threads do not matter.
Writes ``docs/results/motion_correction.{json,md}``.

    .venv/bin/python benchmarks/bench_motion.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results


def true_points(params: list[float], centre: list[float], points_mm: np.ndarray) -> np.ndarray:
    """Where the phantom's motion (Euler angles, shift, about ``centre``) put reference points (mm) in the frame."""
    import SimpleITK as sitk

    tx = sitk.Euler3DTransform()
    tx.SetCenter(centre)
    tx.SetRotation(*params[:3])
    tx.SetTranslation(params[3:])
    rot = np.array(tx.GetMatrix()).reshape(3, 3)
    result: np.ndarray = (points_mm - np.array(centre) - np.array(params[3:])) @ rot + np.array(centre)
    return result


def main() -> int:
    from strokeseg.perfusion import motion as M
    from strokeseg.phantom.case import PhantomConfig, generate_case
    from strokeseg.phantom.quirks import head_motion

    case = generate_case(PhantomConfig(slices=16, frames=50, frame_interval=1.0, matrix=(256, 256)), seed=4)
    s = case.series
    head = s.data[..., 0] > -200
    t0 = time.perf_counter()
    still = M.correct_motion(s.data, s.geometry, head, 0, ct=True)
    still_s = time.perf_counter() - t0
    centre = [sp * (n - 1) / 2 for sp, n in zip(s.geometry.spacing, s.data.shape[:3][::-1], strict=True)]
    rows = []
    for seed in (1, 2, 3):
        data, params = head_motion(s.data, s.geometry.spacing, np.random.default_rng(seed))
        t0 = time.perf_counter()
        res = M.correct_motion(data, s.geometry, data[..., 0] > -200, 0, ct=True)
        seconds = time.perf_counter() - t0
        ref = M._reference(data[..., 0], s.geometry, data[..., 0] > -200, M.MotionConfig().points, True, 0)
        errors = []
        for f, p in params.items():
            est = ref.points @ M.rotation_matrix(res.params[f, :3]).T + res.params[f, 3:] + ref.centre
            errors.append(float(np.linalg.norm(est - true_points(p, centre, ref.points + ref.centre), axis=1).max()))
        rows.append(
            {
                "seed": seed,
                "moved_frames": len(params),
                "missed_over_1mm": int(sum(e > 1.0 for e in errors)),
                "median_error_mm": float(np.median(errors)),
                "max_error_mm": float(np.max(errors)),
                "largest_estimated_displacement_mm": float(res.displacement_mm.max()),
                "frames_resampled": int(res.corrected.sum()),
                "seconds": seconds,
                "seconds_per_moved_frame": seconds / max(len(params), 1),
            }
        )
        print(rows[-1], flush=True)
    data = {
        "series_xyzt": [256, 256, 16, 50],
        "still_seconds": still_s,
        "still_frames_resampled": int(still.corrected.sum()),
        "draws": rows,
    }
    table = [
        "| seed | moved frames | missed (> 1 mm) | median error mm | max error mm | frames resampled "
        "| s per moved frame (series time / moved frames) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {r['seed']} | {r['moved_frames']} | {r['missed_over_1mm']} | {r['median_error_mm']:.2f} | {r['max_error_mm']:.2f} | "
            f"{r['frames_resampled']} | {r['seconds_per_moved_frame']:.2f} |"
            for r in rows
        ],
        "",
        f"Still series: {data['still_frames_resampled']} frames resampled, {still_s:.2f} s.",
    ]
    write_results(
        "motion_correction",
        data,
        "Motion correction against known head motion (CT phantom, 256×256×16×50)",
        "\n".join(table),
        "bench_motion.py",
    )
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
