"""Output folders: one path policy, one lock, and results that appear whole or not at all.

Every command that writes results opens its ``--out`` as a :class:`RunFolder`:

* **where** — ``--out`` may not be equal to, inside or above an input, nor inside a model
  bundle it reads (:func:`check_output_location`); every path written is checked to lie
  inside ``--out`` (:meth:`RunFolder.path`), and case ids are single plain names
  (:func:`check_case_id`, applied by every layout through ``CaseRef``);
* **who** — an advisory lock (``.strokeseg.lock``, ``flock``) refuses a second run on the
  same folder; temporary files that a killed run left are removed by the next run;
* **what is there already** — a non-empty folder is refused unless the mode is
  :attr:`OutputMode.OVERWRITE` (replace; only a folder strokeseg wrote; the earlier results are
  set aside and come back if the run fails before it writes anything) or
  :attr:`OutputMode.RESUME` (continue; finished cases are kept and skipped);
* **how** — each case is staged in a hidden folder inside ``--out`` and renamed into place
  when it is complete (:meth:`RunFolder.case`); summary files are written last, atomically.

A run that fails before committing anything leaves no folder behind that it created.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from strokeseg.errors import WITH_OVERWRITE, InputError, Message, Param
from strokeseg.io.atomic import dir_mode, file_mode

LOCK_NAME = ".strokeseg.lock"
MARKER_NAME = ".strokeseg-run.json"
STAGING_PREFIX = ".staging-"
_TMP_RE = re.compile(r"^\..+\.tmp(\.[A-Za-z0-9.]+)?$")
_CASE_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,199}$")

OUT = Param("out", verb="")  # the output folder, named alone
USE_OVERWRITE = Param("overwrite", verb="use")


class OutputMode(StrEnum):
    """What a run does with an ``--out`` that already holds files."""

    NEW = "new"  # refuse a non-empty folder
    OVERWRITE = "overwrite"  # delete what an earlier strokeseg run wrote, then write
    RESUME = "resume"  # keep finished results and continue


#: settings that say where the inputs lie or which device runs, not what is computed: a resumed run may change them
_WHERE_SETTINGS = frozenset({"input", "input_flag", "truth", "model", "pretrained", "aif_mask", "brain_mask", "device", "no_cache"})

#: names strokeseg gives its own entries at the top of a run folder (a case folder of that name would collide)
RESERVED_NAMES = frozenset({"report", "evaluation", "cv", "dicom", "nnunet", "nnunet_work", "perfusion"})
RESERVED_SUFFIXES = (".json", ".csv", ".md", ".html", ".png", ".log", ".lock")


def check_case_id(case_id: str, source: str | Path | None = None) -> str:
    """A case id becomes a folder and file name: it must be one plain name.

    Allowed: letters, digits, ``_ . + -``, not starting with ``.`` or ``-``, at most 200
    characters; no path separators, ``..``, spaces or control characters; none of the
    :data:`RESERVED_NAMES` and no :data:`RESERVED_SUFFIXES` (strokeseg's own entries in a run folder).
    """
    cid = str(case_id)
    if not _CASE_ID_RE.match(cid) or ".." in cid:
        raise InputError(f"case id {cid!r} is not a plain name (letters, digits, '_', '.', '+', '-'; no path separators or '..')", source)
    if cid.lower() in RESERVED_NAMES or cid.lower().endswith(RESERVED_SUFFIXES):
        raise InputError(f"case id {cid!r} is reserved: strokeseg writes its own {cid!r} into a run folder; rename the case", source)
    return cid


def _within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_output_location(
    out: str | Path, inputs: Iterable[str | Path | None], models: Iterable[str | Path] = (), allow_in_input: bool = False
) -> None:
    """Refuse an ``--out`` equal to, above or (unless ``allow_in_input``) inside an input, or inside a model.

    A manifest file stands for its folder (the dataset it lists); any other input file only for itself,
    so ``perfusion ctp.nii.gz --out maps`` may write beside the series but never over it.
    """
    o = Path(out).resolve()
    for inp in inputs:
        if inp is None:
            continue
        src = Path(inp).resolve()
        # a manifest stands for its folder (the dataset); any other file only for itself
        src_dir = src.parent if src.is_file() and src.suffix.lower() in (".csv", ".yaml", ".yml") else src
        if _within(src_dir, o):
            raise InputError(
                Message(
                    f"output folder is {'the' if o == src_dir else 'above the'} input folder {src_dir}; choose another ",
                    OUT,
                    " (strokeseg never writes into its inputs)",
                ),
                out,
            )
        if not allow_in_input and _within(o, src_dir):
            raise InputError(
                Message("output folder is inside the input folder; choose another ", OUT, " (or ", Param("allow_in_input"), ")"), out
            )
    for m in models:
        mdir = Path(m).resolve()
        if _within(o, mdir) or _within(mdir, o):
            raise InputError(Message(f"output folder overlaps the model bundle {mdir}; choose another ", OUT), out)


def _threads_used() -> dict[str, Any]:
    """The CPU thread count this run's stages use (learned results may depend on it) and where it came from."""
    from strokeseg.util.threads import DETERMINISTIC_ENV, ENV, deterministic, thread_count

    given = os.environ.get(ENV, "").strip()
    source = f"{ENV} / --threads" if given else "the cores free at start"
    return {"count": thread_count(), "from": f"{DETERMINISTIC_ENV} / --deterministic" if deterministic() else source}


def _is_leftover(p: Path) -> bool:
    return p.name.startswith(STAGING_PREFIX) or bool(_TMP_RE.match(p.name))


def remove_leftovers(root: Path) -> int:
    """Delete the staging folders and temporary files of killed runs below ``root``; returns how many."""
    n = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for d in list(dirnames):
            if d.startswith(STAGING_PREFIX):
                shutil.rmtree(Path(dirpath) / d, ignore_errors=True)
                dirnames.remove(d)
                n += 1
        for f in filenames:
            if _TMP_RE.match(f):
                with contextlib.suppress(OSError):
                    (Path(dirpath) / f).unlink()
                    n += 1
    return n


def _place(src: Path, dst: Path) -> None:
    """Move a finished file or folder into place (atomic rename), with umask permissions."""
    if src.is_dir():
        for dirpath, _dirs, files in os.walk(src):
            os.chmod(dirpath, dir_mode())
            for f in files:
                os.chmod(Path(dirpath) / f, file_mode())
    else:
        os.chmod(src, file_mode())
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir() and dst.is_dir():
        raise InputError("already exists in the output folder (two cases with the same id?)", dst)
    os.replace(src, dst)


class RunFolder:
    """An output folder owned by one run (see the module docstring).

    Use as a context manager::

        with RunFolder(out, OutputMode.NEW, inputs=[data], command="threshold") as run:
            with run.case("case_1") as folder:   # a staging folder; renamed to out/case_1 on success
                ...
            run.write_text("readout.csv", text)  # summaries last
    """

    def __init__(
        self,
        out: str | Path,
        mode: OutputMode | str = OutputMode.NEW,
        inputs: Iterable[str | Path | None] = (),
        models: Iterable[str | Path] = (),
        allow_in_input: bool = False,
        command: str = "",
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.out = Path(out)
        self.mode = OutputMode(mode)
        self.command = command
        self.settings = settings or {}
        self.notes: list[str] = []
        self._inputs = list(inputs)
        self._models = list(models)
        self._allow = allow_in_input
        self._created = False
        self._fd: int | None = None
        self._trash: Path | None = None
        self._created_dirs: list[Path] = []
        self._old_marker: str | None = None  # the run record an --overwrite replaced (restored if nothing new lands)
        self._direct = False  # the run writes into out itself (training): its entries are listed when it ends
        self.committed = 0

    # ------------------------------------------------------------------ opening
    def __enter__(self) -> RunFolder:
        check_output_location(self.out, self._inputs, self._models, self._allow)
        out = self.out
        if out.exists() and not out.is_dir():
            raise InputError(Message(OUT, " exists and is not a folder"), out)
        if not out.exists():
            missing = [out, *(p for p in out.parents if not p.exists())]
            try:
                out.mkdir(parents=True)
            except OSError as exc:
                raise InputError(f"cannot create the output folder ({exc.strerror})", out) from None
            self._created = True
            self._created_dirs = missing  # out and the parents this run made, removed again on an early failure
        if not os.access(out, os.W_OK | os.X_OK):
            raise InputError("the output folder is not writable", out)
        self._lock()
        try:
            self._prepare_contents()
        except BaseException:
            self._release(failed=True)
            raise
        return self

    def _lock(self) -> None:
        path = self.out / LOCK_NAME
        for _ in range(5):
            try:  # never through a link: a planted .strokeseg.lock symlink would have the PID written into its target
                fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
            except OSError as exc:
                if path.is_symlink():
                    raise InputError(
                        f"the lock file {LOCK_NAME} is a symbolic link; remove it (strokeseg never writes through links)", self.out
                    ) from None
                raise InputError(f"cannot write to the output folder ({exc.strerror})", self.out) from None
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise InputError(f"{LOCK_NAME} in the output folder is not a regular file; remove it", self.out)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                other = os.read(fd, 64).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise InputError(
                    Message(
                        f"another strokeseg run (pid {other}) is writing to this output folder; wait for it to end or choose another ", OUT
                    ),
                    self.out,
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.lstat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self._fd = fd
                return
            os.close(fd)  # the previous owner removed the file between our open and lock: try again
        raise InputError("cannot take the output folder's lock", self.out)

    def entries(self) -> list[Path]:
        """What the folder holds besides strokeseg's own lock, marker and staging entries."""
        return sorted(p for p in self.out.iterdir() if p.name not in (LOCK_NAME, MARKER_NAME) and not p.name.startswith(STAGING_PREFIX))

    def begin_writing(self) -> None:
        """Say that the run now writes into ``out`` directly (training): the earlier results an
        ``--overwrite`` set aside are deleted for good, and the run record lists what the folder holds
        when the run ends."""
        self._drop_trash()
        self._direct = True
        self._record([], direct=True, finished=False)  # until the run ends, the record may not list everything
        self.committed += 1

    # ------------------------------------------------------------------ the run record's entry list
    def _record(self, names: Iterable[str], **fields: Any) -> None:
        """Add ``names`` (top-level entries this run writes) and ``fields`` to the run record, atomically.
        Called before an entry lands, so that a kill never leaves an entry the record does not list."""
        marker = self.out / MARKER_NAME
        try:
            record = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return  # no record of this run (it was not written yet)
        if not isinstance(record, dict):
            return
        entries = record["entries"] if isinstance(record.get("entries"), list) else []
        record["entries"] = sorted({*map(str, entries), *names})
        record.update(fields)
        from strokeseg.io.atomic import write_text

        write_text(marker, json.dumps(record, indent=2, default=str))

    def claim(self, *names: str) -> None:
        """Record that the run writes these top-level entries itself (not through :meth:`stage` or
        :meth:`write_text`), so that a later ``--overwrite`` may replace them."""
        self._record(names)

    def _foreign(self, held: list[Path]) -> list[Path]:
        """The entries the run record does not list (nothing where the record predates entry lists, or
        where a run that wrote directly into the folder was killed before it could list them)."""
        try:
            record = json.loads((self.out / MARKER_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return held
        if not isinstance(record, dict) or not isinstance(record.get("entries"), list):
            return []
        if record.get("direct") and not record.get("finished"):
            return []  # a run that wrote into the folder itself was killed: what it left cannot be told apart
        listed = set(map(str, record["entries"]))
        return [p for p in held if p.name not in listed]

    def _prepare_contents(self) -> None:
        n = remove_leftovers(self.out)
        if n:
            self.notes.append(f"removed {n} temporary file(s) that an interrupted run left in {self.out}")
        held = self.entries()
        ours = (self.out / MARKER_NAME).exists()
        self._check_may_use(held, ours)
        if held and self.mode is OutputMode.OVERWRITE:
            foreign = self._foreign(held)
            if foreign:
                names = ", ".join(p.name for p in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise InputError(
                    Message(
                        f"output folder holds {len(foreign)} entr{'y' if len(foreign) == 1 else 'ies'} that strokeseg's run record "
                        f"does not list ({names}); refusing to delete them ",
                        WITH_OVERWRITE,
                        "; move them or choose another ",
                        OUT,
                    ),
                    self.out,
                )
            with contextlib.suppress(OSError):
                self._old_marker = (self.out / MARKER_NAME).read_text(encoding="utf-8")
            # set aside, not deleted: if this run fails before it writes anything, the earlier results come back
            self._trash = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + "replaced-", dir=self.out))
            for p in held:
                os.replace(p, self._trash / p.name)
        if ours and self.mode is OutputMode.RESUME:
            self._check_same_run()
            return  # the folder keeps the marker of the run it continues
        self.write_text(
            MARKER_NAME,
            json.dumps(
                {
                    "command": self.command,
                    "pid": os.getpid(),
                    "started": time.time(),
                    "settings": self.settings,
                    "threads": _threads_used(),
                    "entries": [],
                },
                indent=2,
                default=str,
            ),
        )

    def _check_may_use(self, held: list[Path], ours: bool) -> None:
        """Refuse a folder with contents unless overwriting or resuming, and one whose contents strokeseg did not write."""
        if held and self.mode is OutputMode.NEW:
            names = ", ".join(p.name for p in held[:3]) + (", ..." if len(held) > 3 else "")
            raise InputError(
                Message(
                    f"output folder is not empty ({len(held)} entries: {names}); ",
                    Param("overwrite"),
                    " to replace its contents or ",
                    Param("resume", verb=""),
                    " to continue the run",
                ),
                self.out,
            )
        if held and not ours:
            raise InputError(
                Message(
                    "output folder holds files that strokeseg did not write; refusing to "
                    f"{'delete' if self.mode is OutputMode.OVERWRITE else 'add to'} them; choose another ",
                    OUT,
                ),
                self.out,
            )

    def _check_same_run(self) -> None:
        """``--resume`` continues only the run the record describes: the same command and the same settings
        (where the data lie may differ: a moved dataset resumes)."""
        try:
            record = json.loads((self.out / MARKER_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            raise InputError(
                Message(f"the run record {MARKER_NAME} cannot be read; ", USE_OVERWRITE, " or another ", OUT), self.out
            ) from None
        if not isinstance(record, dict):
            raise InputError(Message(f"the run record {MARKER_NAME} is not a JSON object; ", USE_OVERWRITE, " or another ", OUT), self.out)
        before = record.get("command")
        if self.command and before and before != self.command:
            raise InputError(
                Message(Param("resume", verb=""), f": this folder holds a '{before}' run, not a '{self.command}' run"), self.out
            )
        old = record.get("settings")
        if not self.settings or not isinstance(old, dict) or not old:
            return
        keys = sorted((set(old) | set(self.settings)) - _WHERE_SETTINGS)
        changed = [k for k in keys if old.get(k) != self.settings.get(k)]
        if changed:
            k = changed[0]
            raise InputError(
                Message(
                    Param("resume", verb=""),
                    f" with other settings than the run it continues ({k}: {old.get(k)!r} then, {self.settings.get(k)!r} now"
                    + (f"; {len(changed) - 1} more" if len(changed) > 1 else "")
                    + "); rerun with the same options, or ",
                    USE_OVERWRITE,
                ),
                self.out,
            )

    def __exit__(self, exc_type, exc, tb) -> None:
        self._release(failed=exc_type is not None)

    def _drop_trash(self) -> None:
        if self._trash is not None:
            shutil.rmtree(self._trash, ignore_errors=True)
            self._trash = None

    def _release(self, failed: bool) -> None:
        if self._trash is not None:
            if failed and self.committed == 0:  # nothing new was written: put the earlier results back
                for p in sorted(self._trash.iterdir()):
                    os.replace(p, self.out / p.name)
                if self._old_marker is not None:  # with the record that lists them
                    from strokeseg.io.atomic import write_text

                    write_text(self.out / MARKER_NAME, self._old_marker)
            self._drop_trash()
        if self._direct and self.out.is_dir():  # what a run that wrote into out itself left there is its own
            with contextlib.suppress(OSError):
                self._record([p.name for p in self.entries()], finished=True)  # the list is complete again
        empty = not self.entries() if self.out.is_dir() else False
        if failed and empty and self.committed == 0:
            with contextlib.suppress(OSError):
                (self.out / MARKER_NAME).unlink()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                (self.out / LOCK_NAME).unlink()
            os.close(self._fd)
            self._fd = None
        if failed and empty and self._created:
            for d in self._created_dirs:  # innermost first; stops at the first folder that is not empty
                try:
                    d.rmdir()
                except OSError:
                    break

    def protect(self, files: Iterable[Path]) -> None:
        """Refuse this ``--out`` if it lies in (or above) the folder of any file a dataset reads.

        A manifest may list images anywhere; their folders are inputs too.
        """
        folders = {Path(f).resolve().parent for f in files}
        check_output_location(self.out, sorted(folders), allow_in_input=self._allow)

    # ------------------------------------------------------------------ writing
    def path(self, *parts: str) -> Path:
        """``out/parts...``, checked to lie inside ``out``."""
        p = self.out.joinpath(*parts)
        if not _within(p.resolve(), self.out.resolve()) or (p.resolve() == self.out.resolve() and parts):
            raise InputError(f"refusing to write {'/'.join(parts)!r}: it would lie outside the output folder", self.out)
        return p

    def has(self, name: str) -> bool:
        """True when ``out/name`` (a finished case) is there."""
        return self.path(name).exists()

    @contextlib.contextmanager
    def stage(self) -> Iterator[Path]:
        """A hidden staging folder inside ``out``; its top-level entries are renamed into ``out`` on success."""
        stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))
        try:
            yield stage
            self._drop_trash()  # the first new result replaces the earlier ones for good
            self._record(p.name for p in stage.iterdir())
            for src in sorted(stage.iterdir()):
                _place(src, self.path(src.name))
                self.committed += 1
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def new_stage(self) -> Path:
        """A hidden staging folder inside ``out`` for work done elsewhere (a worker process); see :meth:`commit_stage`."""
        return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))

    def commit_stage(self, stage: Path, keep: bool = True) -> None:
        """Rename the top-level entries of ``stage`` into ``out`` (``keep``), then remove ``stage``."""
        try:
            if keep:
                self._drop_trash()
                self._record(p.name for p in stage.iterdir())
                for src in sorted(stage.iterdir()):
                    _place(src, self.path(src.name))
                    self.committed += 1
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    @contextlib.contextmanager
    def case(self, case_id: str) -> Iterator[Path]:
        """A folder for one case's outputs that appears as ``out/case_id`` only when the block succeeds
        (``case_id`` = "" puts the files at the top of ``out``)."""
        if case_id:
            check_case_id(case_id)
        with self.stage() as stage:
            folder = stage / case_id if case_id else stage
            folder.mkdir(parents=True, exist_ok=True)
            yield folder

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` atomically to ``name`` inside the output folder."""
        from strokeseg.io.atomic import write_text

        path = self.path(name)
        if name != MARKER_NAME:
            self._record([Path(name).parts[0]])
        return write_text(path, text)

    def case_folders(self) -> list[Path]:
        """The finished case folders, sorted by name."""
        return sorted(p for p in self.entries() if p.is_dir() and not p.name.startswith("."))
