"""What every run API call shares: how the input is read (:class:`ReadOptions`) and how the run folder is
written (:class:`RunOptions`), and the steps around a workflow (open the folder, open the input, report)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strokeseg.errors import InputError, Message, Param
from strokeseg.io.outputs import OutputMode, RunFolder

if TYPE_CHECKING:  # annotations only: a run imports the stages it uses, when it uses them
    from strokeseg.clinical.eligibility import Patient
    from strokeseg.util.executors import ExecutorConfig
    from strokeseg.workflows.report import ReportOptions


@dataclass(frozen=True)
class ReadOptions:
    """How the input is read, and what is known of the patient.

    Attributes:
        layout: the dataset layout (None: detected).
        label_map: the label file's values → canonical labels (``{1: 2}``: a binary core mask).
        series: in a DICOM export, role → SeriesInstanceUID where several series could take a role.
        nonfinite: ``error`` or ``zero`` for NaN/Inf voxels.
        frame_interval: seconds between frames, overriding the file.
        modality: ``ct`` or ``mr`` for the raw series (None: from the layout or the values).
        patient: age, NIHSS, onset and mRS of a one-case input (they replace its clinical table's).
    """

    layout: str | None = None
    label_map: Mapping[int, int] | None = None
    series: Mapping[str, str] | None = None
    nonfinite: str = "error"
    frame_interval: float | None = None
    modality: str | None = None
    patient: Patient | None = None


@dataclass(frozen=True)
class RunOptions:
    """How the run folder is written.

    Attributes:
        mode: ``new`` (refuse a folder with files), ``overwrite`` or ``resume``.
        allow_in_input: allow the output folder inside an input folder.
        executor: where the cases run (None: one after another in this process).
        report: build the HTML report (and DICOM outputs) with these options; None: no report.
        settings: what the run record keeps of the call (the command line records its flags).
        echo: receives each line the command prints (notes, tables, where the outputs went); None: silent.
    """

    mode: OutputMode | str = OutputMode.NEW
    allow_in_input: bool = False
    executor: ExecutorConfig | None = None
    report: ReportOptions | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    echo: Callable[[str], None] | None = None

    def say(self, *lines: str) -> None:
        """Pass non-empty ``lines`` to :attr:`echo`."""
        for line in lines:
            if line and self.echo is not None:
                self.echo(line)


def check_reference(options: RunOptions) -> None:
    """The report's DICOM reference series, read and checked before anything is written."""
    rep = options.report
    if rep is None or rep.dicom_reference is None or not rep.dicom:
        return
    from strokeseg.report.dicom_export import read_reference

    if not Path(rep.dicom_reference).is_dir():
        raise InputError(Message(Param("dicom_reference", verb=""), " is not a folder"), rep.dicom_reference)
    read_reference(Path(rep.dicom_reference))


@contextmanager
def run_folder(
    out: str | Path, command: str, options: RunOptions, inputs: Iterable[str | Path | None], models: Iterable[str | Path] = ()
) -> Iterator[RunFolder]:
    """The open run folder of ``command``; its notes go to ``echo`` when the workflow is done."""
    check_reference(options)
    with RunFolder(
        out,
        options.mode,
        inputs=list(inputs),
        models=list(models),
        allow_in_input=options.allow_in_input,
        command=command,
        settings=dict(options.settings),
    ) as run:
        yield run


def open_input(inp: str | Path, read: ReadOptions) -> Any:
    """The input dataset in its layout, with the chosen series."""
    from strokeseg.io.layouts import open_dataset

    return open_dataset(
        Path(inp), read.layout, dict(read.label_map) if read.label_map else None, dict(read.series) if read.series else None
    )


def patient_cases(refs: Any, read: ReadOptions) -> Any:
    """The cases with the given patient values in their clinical values (one case only)."""
    from strokeseg.workflows.record import apply_patient_values

    return apply_patient_values(refs, read.patient)


def finish(run: RunFolder, options: RunOptions, *lines: str, notes: bool = True) -> None:
    """The run folder's notes (unless said already) and ``lines`` to ``echo``, then the report when asked (not
    for a run that wrote nothing, unless a resumed one has cases)."""
    options.say(*(f"note: {n}" for n in (run.notes if notes else ())), *lines)
    if options.report is None:
        return
    if run.committed == 0 and not (OutputMode(options.mode) == OutputMode.RESUME and run.case_folders()):
        return
    from strokeseg.workflows.report import report_run

    report_run(run, options.report)
    options.say(f"wrote the report to {run.out / 'report' / 'index.html'}")


__all__ = ["ReadOptions", "RunOptions", "check_reference", "finish", "open_input", "patient_cases", "run_folder"]
