"""DICOM outputs for PACS: SEG (core, penumbra; optionally the learned probability), Secondary Capture, SR.

For each case of a ``threshold`` or ``predict`` run whose input was a DICOM series (or with a
reference series given), ``report/<case>/dicom/`` gets:

* ``seg.dcm`` — a binary DICOM Segmentation (highdicom) with segment 1 "Ischemic core" and, where
  the method gives it, segment 2 "Penumbra" (Tmax > 6 s minus core), referencing the SOP instances
  of the reference series (the first time point of a 4D series), on its frame of reference. The
  labels are on the read-out's grid; when that differs from the reference series' grid they are
  resampled onto it (nearest neighbour) and the SEG says so in its content description.
* ``seg_probability.dcm`` (asked for, learned models) — a fractional SEG of the lesion probability.
* ``sc_summary.dcm``, ``sc_<map>.dcm`` — Secondary Captures (RGB) of the summary and of each montage.
* ``sr.dcm`` — a Comprehensive 3D SR with a TID 1500 measurement report: volumes (ml), mismatch
  ratio, HIR, and the DEFUSE-3 / EXTEND / DAWN verdicts as qualitative evaluations; quantities that
  are not assessable are left out, verdicts that are not assessable say so.

Measurement names without a standard code use the private scheme ``99STROKESEG``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.clinical.plausibility import PLAUSIBILITY_CODES
from strokeseg.errors import InputError
from strokeseg.io.geometry import Geometry
from strokeseg.io.records import ReadoutRecord
from strokeseg.report.collect import CaseView, RunView

SCHEME = "99STROKESEG"
MEASUREMENTS = (
    ("core_ml", "Ischemic core volume", "ml"),
    ("hypoperfused_ml", "Tmax > 6 s volume", "ml"),
    ("penumbra_ml", "Mismatch volume", "ml"),
    ("mismatch_ratio", "Mismatch ratio", "1"),
    ("tmax10_ml", "Tmax > 10 s volume", "ml"),
    ("hir", "Hypoperfusion intensity ratio", "1"),
)


#: the concept under which the SR lists the plausibility guard's warnings
IMPLAUSIBLE = "implausible"


def _code(value: str, meaning: str) -> Any:
    from highdicom.sr import CodedConcept

    return CodedConcept(value=value, scheme_designator=SCHEME, meaning=meaning)


def check_reference(dss: list[Any], folder: Path) -> None:
    """Refuse a reference series the outputs cannot point to, before anything is written: one series, every
    image with its study, series and instance UIDs, one orientation and a positive pixel spacing. A series
    without a FrameOfReferenceUID (anywhere) gets a new one, logged; one given on some slices only is refused."""
    series = {str(getattr(d, "SeriesInstanceUID", "")) for d in dss}
    if len(series) > 1:
        raise InputError(f"the DICOM reference holds {len(series)} series; give the folder of one series", folder)
    for d in dss:
        missing = [k for k in ("SOPInstanceUID", "SOPClassUID", "StudyInstanceUID", "SeriesInstanceUID") if not getattr(d, k, None)]
        if missing:
            raise InputError(f"a reference image lacks {', '.join(missing)}", getattr(d, "filename", folder))
        try:
            o = np.asarray(d.ImageOrientationPatient, float)
            sy, sx = (float(v) for v in d.PixelSpacing)
            pos = np.asarray(d.ImagePositionPatient, float)
        except (AttributeError, TypeError, ValueError):
            raise InputError(
                "a reference image lacks a valid orientation, position or pixel spacing", getattr(d, "filename", folder)
            ) from None
        if o.shape != (6,) or pos.shape != (3,) or not (np.isfinite(o).all() and np.isfinite(pos).all() and sy > 0 and sx > 0):
            raise InputError("a reference image has an invalid orientation, position or pixel spacing", getattr(d, "filename", folder))
    frames = {str(getattr(d, "FrameOfReferenceUID", "") or "") for d in dss}
    if len(frames - {""}) > 1 or ("" in frames and len(frames) > 1):
        raise InputError("the reference slices do not share one FrameOfReferenceUID", folder)
    if frames == {""}:
        import logging

        from highdicom import UID

        uid = str(UID())
        for d in dss:
            d.FrameOfReferenceUID = uid
        logging.getLogger("strokeseg.report").warning(
            "%s: the reference series has no FrameOfReferenceUID; the DICOM outputs use a new one (%s)", folder, uid
        )


def read_reference(folder: Path) -> list[Any]:
    """The reference series' datasets (pydicom), one per slice, sorted along the slice normal; ``folder`` is the
    series' folder, or one of its files (an export with several series in one folder).

    A 4D series gives its first time point (lowest TemporalPositionIdentifier, else earliest
    AcquisitionTime). Only the headers are read (the outputs reference the images, they do not
    copy their pixels). Raises :class:`InputError` when the folder holds no image series.
    """
    import pydicom

    from strokeseg.io.dicom import series_uid

    folder = Path(folder)
    only = series_uid(folder) if folder.is_file() else None  # one file of an export: its series, in its folder
    files = [f for f in sorted((folder.parent if only else folder).iterdir()) if f.is_file()]
    dss = []
    for f in files:
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except Exception:
            continue
        if "ImagePositionPatient" in ds and "Rows" in ds and (only is None or str(getattr(ds, "SeriesInstanceUID", "")) == only):
            dss.append(ds)
    if not dss:
        raise InputError("no DICOM image with a position found (a SEG needs an image series to reference)", folder)
    check_reference(dss, Path(folder))

    def frame_key(ds: Any) -> tuple[float, str]:
        return (float(getattr(ds, "TemporalPositionIdentifier", 0) or 0), str(getattr(ds, "AcquisitionTime", "")))

    first = min(frame_key(d) for d in dss)
    dss = [d for d in dss if frame_key(d) == first]
    o = np.asarray(dss[0].ImageOrientationPatient, float)
    normal = np.cross(o[:3], o[3:])
    dss.sort(key=lambda d: float(np.dot(normal, np.asarray(d.ImagePositionPatient, float))))
    return dss


def reference_geometry(dss: list[Any]) -> Geometry:
    """The LPS grid of sorted reference slices (shape ``(Z, Y, X)``)."""
    o = np.asarray(dss[0].ImageOrientationPatient, float)
    row, col = o[:3], o[3:]
    normal = np.cross(row, col)
    pos = np.asarray([d.ImagePositionPatient for d in dss], float)
    dz = float(np.median(np.diff(pos @ normal))) if len(dss) > 1 else float(getattr(dss[0], "SliceThickness", 1.0) or 1.0)
    sy, sx = (float(v) for v in dss[0].PixelSpacing)  # row spacing, column spacing
    direction = np.column_stack([row, col, normal]).ravel()
    return Geometry((len(dss), int(dss[0].Rows), int(dss[0].Columns)), (sx, sy, abs(dz)), tuple(pos[0]), tuple(direction))


def dicom_source(case: CaseView) -> Path | None:
    """The case's input DICOM series (its folder, or one of its files; the read-out's reference modality first), or None."""
    inputs = (case.readout.inputs if case.readout is not None else None) or {}
    paths = {**(inputs.get("images") or {}), **(inputs.get("series") or {})}
    ref = inputs.get("reference")
    ordered = ([paths[ref]] if ref in paths else []) + [p for k, p in paths.items() if k != ref]
    from strokeseg.io.dicom import is_dicom_file

    return next((Path(p) for p in ordered if p and (Path(p).is_dir() or (Path(p).is_file() and is_dicom_file(Path(p))))), None)


def _labels_on(case: CaseView, geom: Geometry, name: str = "label", interpolation: str = "nearest") -> tuple[np.ndarray, bool]:
    from strokeseg.io.read import read_image
    from strokeseg.io.resample import resample_to

    vol = read_image(case.images[name], "zero", integers=name == "label")
    if vol.geometry.same_grid(geom, atol=1e-2):
        return np.asarray(vol.array), False
    return np.asarray(resample_to(vol, geom, interpolation).array), True


def _algorithm() -> Any:
    from highdicom import AlgorithmIdentificationSequence
    from pydicom.sr.codedict import codes

    from strokeseg import __version__

    return AlgorithmIdentificationSequence(name="strokeseg", version=__version__, family=codes.cid7162.ArtificialIntelligence)


def _common(number: int, description: str) -> dict[str, Any]:
    """New series/instance UIDs, the series number and description (what PACS lists) and the manufacturer of one output object."""
    from highdicom import UID

    return {
        "series_instance_uid": UID(),
        "series_number": number,
        "series_description": f"strokeseg {description}"[:64],
        "sop_instance_uid": UID(),
        "instance_number": 1,
        "manufacturer": "strokeseg",
    }


def _device() -> dict[str, Any]:
    from strokeseg import __version__

    return {"manufacturer_model_name": "strokeseg", "software_versions": __version__, "device_serial_number": "0"}


def write_seg(case: CaseView, dss: list[Any], folder: Path, run: RunView) -> Path:
    """``seg.dcm``: core (segment 1) and penumbra (segment 2, where the method gives one)."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    geom = reference_geometry(dss)
    labels, resampled = _labels_on(case, geom)
    penumbra = run.kind == "threshold" or bool((labels == 1).any())
    seg_map = np.zeros(labels.shape, np.uint8)
    seg_map[labels == 2] = 1
    descs = [
        hd.seg.SegmentDescription(
            1, "Ischemic core", codes.SCT.MorphologicallyAbnormalStructure, _code("core", "Ischemic core"), "AUTOMATIC", _algorithm()
        )
    ]
    if penumbra:
        seg_map[labels == 1] = 2
        descs.append(
            hd.seg.SegmentDescription(
                2,
                "Penumbra (Tmax > 6 s, not core)",
                codes.SCT.MorphologicallyAbnormalStructure,
                _code("penumbra", "Ischemic penumbra"),
                "AUTOMATIC",
                _algorithm(),
            )
        )
    seg = hd.seg.Segmentation(
        source_images=dss,
        pixel_array=seg_map,
        segmentation_type="BINARY",
        segment_descriptions=descs,
        content_description=("labels resampled onto this series (nearest)" if resampled else "labels on this series' grid")[:64],
        omit_empty_frames=False,
        **_common(900, "core and penumbra" if penumbra else "core"),
        **_device(),
    )
    path = folder / "seg.dcm"
    seg.save_as(path)
    return path


def write_probability_seg(case: CaseView, dss: list[Any], folder: Path) -> Path | None:
    """``seg_probability.dcm``: the learned lesion probability as a fractional SEG (None without one)."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    if "probability" not in case.images:
        return None
    prob, _ = _labels_on(case, reference_geometry(dss), "probability", "linear")
    desc = hd.seg.SegmentDescription(
        1, "Lesion probability", codes.SCT.MorphologicallyAbnormalStructure, _code("lesion", "Ischemic lesion"), "AUTOMATIC", _algorithm()
    )
    seg = hd.seg.Segmentation(
        source_images=dss,
        pixel_array=np.clip(prob, 0, 1).astype(np.float32),
        segmentation_type="FRACTIONAL",
        segment_descriptions=[desc],
        fractional_type="PROBABILITY",
        omit_empty_frames=False,
        **_common(901, "lesion probability"),
        **_device(),
    )
    path = folder / "seg_probability.dcm"
    seg.save_as(path)
    return path


def write_sc(png: Path, dss: list[Any], path: Path, number: int, description: str = "") -> Path:
    """A Secondary Capture (RGB, 8 bit) of a report picture, its series described as ``strokeseg <description>``."""
    import highdicom as hd
    from PIL import Image

    with Image.open(png) as im:
        rgb = np.asarray(im.convert("RGB"))
    common = _common(number, description or png.stem)
    sc = hd.sc.SCImage.from_ref_dataset(dss[0], rgb, "RGB", 8, "PATIENT", **common, patient_orientation=("L", "P"))
    if "Laterality" not in sc:
        sc.Laterality = ""  # type 2C: a head is no paired structure (empty, present, as CT series carry it)
    sc.save_as(path)
    return path


def _verdict_code(eligible: bool | None) -> Any:
    from pydicom.sr.codedict import codes

    return _code("NA", "Not assessable") if eligible is None else (codes.SCT.Yes if eligible else codes.SCT.No)


def _procedure(case: CaseView) -> Any:
    """The procedure the read-out came from: CT or MR perfusion analysis (also for perfusion maps without Tmax,
    whose core came from rCBF), or diffusion MR (no perfusion)."""
    from pydicom.sr.codedict import codes

    readout = case.readout or ReadoutRecord(case_id=case.case_id)
    images = ((readout.inputs or {}).get("images")) or {}
    mr = "DWI" in images or "ADC" in images or bool(case.perfusion and case.perfusion.modality == "mr")
    if readout.perfusion is False and readout.reference_cbf is None:
        return _code("dwi", "Diffusion-weighted MR (no perfusion)")
    return codes.DCM.PerfusionAnalysisBySusceptibilityMRTechnique if mr else codes.DCM.PerfusionAnalysisByIVIodinatedContrastCTTechnique


def write_sr(case: CaseView, verdicts: list[dict[str, Any]], dss: list[Any], folder: Path) -> Path:
    """``sr.dcm``: the TID 1500 measurement report of the read-out (see the module docstring)."""
    import highdicom as hd
    from highdicom.sr import CodedConcept

    readout = case.readout or ReadoutRecord(case_id=case.case_id)
    units = {"ml": CodedConcept("ml", "UCUM", "milliliter"), "1": CodedConcept("1", "UCUM", "no units")}
    measurements = []
    for key, meaning, unit in MEASUREMENTS:
        v = getattr(readout, key)
        if v is None or v == "inf" or (isinstance(v, float) and not math.isfinite(v)):
            continue
        measurements.append(hd.sr.Measurement(name=_code(key, meaning), value=float(v), unit=units[unit]))
    evaluations = [
        hd.sr.QualitativeEvaluation(
            _code(v["trial"], f"{v['trial']} {v.get('scope', 'imaging').replace('–', '-')} criteria met"), _verdict_code(v["eligible"])
        )
        for v in verdicts
    ]
    # the plausibility guard's warnings: why the verdicts are held back (strokeseg.clinical.plausibility)
    evaluations += [
        hd.sr.QualitativeEvaluation(_code(IMPLAUSIBLE, "Implausible read-out"), _code(w["code"], str(w.get("message", ""))[:64]))
        for w in case.warnings
        if w.get("code") in PLAUSIBILITY_CODES
    ]
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=f"{case.case_id} stroke read-out"),
        measurements=measurements,
        qualitative_evaluations=evaluations,
        algorithm_id=hd.sr.AlgorithmIdentification(name="strokeseg", version=_algorithm()[0].AlgorithmVersion),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(), procedure_reported=_procedure(case), imaging_measurements=[group]
    )
    sr = hd.sr.Comprehensive3DSR(evidence=dss, content=report, **_common(902, "stroke read-out (SR)"))
    path = folder / "sr.dcm"
    sr.save_as(path)
    return path


def export_case(case: CaseView, run: RunView, folder: Path, reference: Path, ctx: dict[str, Any], fractional: bool) -> list[Path]:
    """Every DICOM output of one case into ``folder`` (see the module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    dss = read_reference(reference)
    out = [write_seg(case, dss, folder, run)]
    if fractional:
        p = write_probability_seg(case, dss, folder)
        if p is not None:
            out.append(p)
    from strokeseg.report.figures import summary_card

    pictures = [folder.parent / m["src"] for m in ctx.get("montages", [])]
    if ctx.get("summary"):
        pictures.insert(0, summary_card(case.case_id, ctx["summary"], folder / "summary.png"))
    for i, png in enumerate(p for p in pictures if p.is_file()):
        what = "summary" if png.stem == "summary" else f"{png.stem} montage"
        out.append(write_sc(png, dss, folder / f"sc_{png.stem}.dcm", 910 + i, what))
    (folder / "summary.png").unlink(missing_ok=True)  # in the SC; the page shows the summary as HTML
    verdicts = (ctx.get("summary") or {}).get("verdicts") or []
    out.append(write_sr(case, verdicts, dss, folder))
    return out


def export_run(run: RunView, report_dir: Path, reference: Path | None, fractional: bool, contexts: dict[str, dict[str, Any]]) -> list[str]:
    """DICOM outputs of every case that has a DICOM source (or of every case with ``reference``); the paths written, relative."""
    written = []
    for case in run.cases:
        src = reference or dicom_source(case)
        if src is None or "label" not in case.images:
            continue
        for p in export_case(case, run, report_dir / case.case_id / "dicom", src, contexts.get(case.case_id, {}), fractional):
            written.append(str(p.relative_to(report_dir)))
    return written


__all__ = ["dicom_source", "export_case", "export_run", "read_reference", "reference_geometry", "write_sc", "write_seg", "write_sr"]
