"""A generated corpus of bad, odd and hostile inputs, and the promise each must keep.

Each :class:`Entry` writes its inputs below ``ctx.inp`` and returns the command line; :func:`check`
runs it in-process and lists the defects, each a broken promise:

* the exit code is the expected one (2 for a bad input, 0 where the input is odd but valid);
* a failure prints exactly one line, ``strokeseg: error: …``, that names the file (or option);
* no traceback;
* nothing is written outside ``--out`` (a snapshot of the whole test folder, inputs included,
  is byte-identical before and after, outside ``--out``);
* no partial output: a failed run leaves ``--out`` as it found it (absent, or unchanged).

Used by ``tests/robustness/test_corpus.py`` and ``benchmarks/bench_robustness.py``.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import json
import os
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from strokeseg.io.geometry import Geometry
from strokeseg.io.nifti import write_nifti
from tests.helpers import GEOM, image, label_volume, make_isles2024, make_manifest

PAYLOAD_MARK = "PWNED"
TINY_TRAIN = [
    "--folds",
    "2",
    "--epochs",
    "1",
    "--set",
    "symmetric=false",
    "--set",
    "sampling.patches_per_case=8",
    "--set",
    "batch_size=8",
    "--set",
    "network.kwargs={dims: 2, base_filters: 4, depth: 2, dropout: 0.2, mc_levels: 1}",
    "--set",
    "sampling.patch_size=[1,8,8]",
    "--set",
    "inference.step=[1,8,8]",
    "--set",
    "postprocess.thresholds=[0.5]",
    "--set",
    "postprocess.min_sizes=[1]",
]
RECIPE = "clerigues-ct-2d-fast"


# ------------------------------------------------------------------ shared assets (built once)
def build_assets(base: Path) -> Path:
    """A phantom CT dataset (ISLES'18 layout), a trained tiny model bundle on it, and a manifest dataset."""
    from strokeseg.cli import main
    from strokeseg.phantom.case import PhantomConfig
    from strokeseg.workflows.phantom import CohortSpec, write_phantom_cohort

    base.mkdir(parents=True, exist_ok=True)
    if not (base / "ready").exists():
        write_phantom_cohort(
            base / "ph",
            CohortSpec(
                3,
                PhantomConfig(slices=2, matrix=(64, 64), spacing_xy=3.0, frames=30, frame_interval=1.5),
                "isles2018",
                seed=4,
                second_slab_fraction=0.0,
            ),
        )
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(["train", "--recipe", RECIPE, "--data", str(base / "ph"), "--out", str(base / "model"), *TINY_TRAIN])
        assert code == 0, "training the corpus' tiny bundle failed"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):  # one that uses the cache
            sym = ["--set", "symmetric=true", "--set", "postprocess.min_sizes=[1]", "--no-cache"]
            code = main(["train", "--recipe", RECIPE, "--data", str(base / "ph"), "--out", str(base / "model_sym"), *TINY_TRAIN, *sym])
        assert code == 0, "training the corpus' tiny symmetric bundle failed"
        make_manifest(base / "man", n_cases=1)
        (base / "ready").write_text("ok", encoding="utf-8")
    return base


@dataclass
class Ctx:
    root: Path
    assets: Path

    @property
    def inp(self) -> Path:
        return self.root / "in"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def cache(self) -> Path:
        """This entry's preprocessing cache: outside the snapshot, as a user's cache lies outside the data."""
        return self.root.parent.parent / "caches" / self.root.parent.name

    def asset(self, name: str, as_name: str | None = None) -> Path:
        dst = self.inp / (as_name or name)
        if not dst.exists():
            shutil.copytree(self.assets / name, dst)
        return dst


@dataclass(frozen=True)
class Entry:
    category: str
    name: str
    build: Callable[[Ctx], list[str]]
    names: str | Callable[[Ctx], str] = ""  # what the error line must contain
    code: int = 2
    pre_out: bool = False  # --out exists before the run (its contents must be unchanged after a failure)
    env: tuple[tuple[str, str], ...] = ()  # environment variables set for the run (restored after it)
    cache: bool = False  # the run (and its build) use their own preprocessing cache, ``ctx.cache``
    check: Callable[[Ctx], list[str]] | None = None  # more defects to look for after the run (e.g. wrong results)


# ------------------------------------------------------------------ helpers for building inputs
def _one_case(ctx: Ctx) -> Path:
    """The phantom dataset with only case_1 (a dataset of one case)."""
    ds = ctx.asset("ph")
    for extra in ("case_2", "case_3"):
        shutil.rmtree(ds / extra, ignore_errors=True)
    lines = (ds / "patients.csv").read_text(encoding="utf-8").splitlines()
    (ds / "patients.csv").write_text("\n".join(ln for ln in lines if not ln.startswith(("case_2", "case_3"))) + "\n", encoding="utf-8")
    return ds


def _file(ds: Path, mod: str) -> Path:
    return next(ds.glob(f"case_1/SMIR.Brain.XX.O.{mod}.*/*.nii"))


def _manifest(ctx: Ctx, rows: list[str], header: str = "case_id,image:CT,image:CBF,image:Tmax") -> Path:
    ds = ctx.inp / "man"
    ds.mkdir(parents=True, exist_ok=True)
    for f in ("ct", "cbf", "tmax"):
        if not (ds / f"{f}.nii.gz").exists():
            write_nifti(ds / f"{f}.nii.gz", image(seed=len(f)), GEOM)
    (ds / "manifest.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return ds


def _nifti_header_bytes(shape: tuple[int, ...], pixdim=(1.0, 1.0, 1.0), affine: np.ndarray | None = None) -> bytes:
    import nibabel as nib

    img = nib.Nifti1Image(np.zeros((1, 1, 1), np.float32), np.eye(4) if affine is None else affine)
    hdr = img.header
    hdr.set_data_shape(shape)
    hdr["pixdim"][1:4] = pixdim
    return hdr.binaryblock + b"\0" * 4


def _write_raw_nifti(path: Path, data: np.ndarray, affine: np.ndarray, pixdim=(1.0, 1.0, 1.0)) -> None:
    """A .nii written byte by byte with exactly this sform and pixdim (nibabel would refuse or 'repair' them)."""
    import nibabel as nib

    img = nib.Nifti1Image(data.astype(np.float32), np.eye(4))
    hdr = img.header
    hdr["pixdim"][1:4] = pixdim
    hdr["qform_code"] = 0
    hdr["sform_code"] = 1
    hdr["srow_x"], hdr["srow_y"], hdr["srow_z"] = affine[0], affine[1], affine[2]
    hdr["vox_offset"] = 352
    path.write_bytes(hdr.binaryblock + b"\0" * 4 + np.asfortranarray(data.astype(np.float32)).tobytes(order="F"))


class _Payload:
    """Pickles to a call that, if ever executed, writes a marker file."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (self.target, PAYLOAD_MARK))


def _payload_pt(path: Path, marker: Path, wrap_state: bool = True) -> None:
    import torch

    obj = {"model": _Payload(marker)} if wrap_state else _Payload(marker)
    torch.save(obj, path)


def _recipe_file(ctx: Ctx, text: str, name: str = "r.yaml") -> Path:
    ctx.inp.mkdir(parents=True, exist_ok=True)
    p = ctx.inp / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def _train(ctx: Ctx, *extra: str, data: Path | None = None) -> list[str]:
    return ["train", "--recipe", RECIPE, "--data", str(data or ctx.asset("ph")), "--out", str(ctx.out), *TINY_TRAIN, *extra]


def _predict(ctx: Ctx, model: Path | None = None, *extra: str) -> list[str]:
    return ["predict", "--model", str(model or ctx.asset("model")), "--input", str(_one_case(ctx)), "--out", str(ctx.out), *extra]


def _threshold(ctx: Ctx, data: Path, *extra: str) -> list[str]:
    return ["threshold", str(data), "--out", str(ctx.out), *extra]


def _bundle_with(ctx: Ctx, edit: Callable[[Path], None]) -> Path:
    m = ctx.asset("model")
    edit(m)
    return m


# ------------------------------------------------------------------ the corpus
def _entries() -> list[Entry]:
    E: list[Entry] = []
    add = E.append

    # --- untrusted code: nothing executes, one line each
    def payload_checkpoint(ctx: Ctx) -> list[str]:
        shutil.copytree(ctx.assets / "model", ctx.out)
        _payload_pt(ctx.out / "fold_0" / "checkpoint.pt", ctx.root / "pwned")
        return _train(ctx, "--resume")

    add(Entry("untrusted code", "payload checkpoint.pt (train --resume)", payload_checkpoint, "checkpoint.pt", pre_out=True))

    def payload_weights(ctx: Ctx) -> list[str]:
        m = _bundle_with(ctx, lambda m: _payload_pt(m / "fold_0" / "weights.pt", ctx.root / "pwned", wrap_state=False))
        d = json.loads((m / "bundle.json").read_text(encoding="utf-8"))
        for f in d["folds"]:  # an attacker rewrites the checksum too: the loader itself must refuse
            f["sha256"] = hashlib.sha256((m / f["weights"]).read_bytes()).hexdigest()
        (m / "bundle.json").write_text(json.dumps(d), encoding="utf-8")
        return _predict(ctx, m)

    add(Entry("untrusted code", "payload weights.pt (predict)", payload_weights, "weights.pt"))

    def payload_pretrained(ctx: Ctx) -> list[str]:
        ctx.inp.mkdir(parents=True, exist_ok=True)
        _payload_pt(ctx.inp / "vgg16.pth", ctx.root / "pwned", wrap_state=False)
        return [
            "train",
            "--recipe",
            "slow-fusion-vgg16-fast",
            "--data",
            str(ctx.asset("ph")),
            "--out",
            str(ctx.out),
            "--pretrained",
            str(ctx.inp / "vgg16.pth"),
            "--folds",
            "2",
            "--epochs",
            "1",
        ]

    add(Entry("untrusted code", "payload --pretrained file", payload_pretrained, "vgg16.pth"))

    def payload_recipe(ctx: Ctx) -> list[str]:
        r = _recipe_file(
            ctx, f"name: evil\nnetwork: !!python/object/apply:pathlib.Path.write_text [{ctx.root / 'pwned'!s}, {PAYLOAD_MARK}]\n"
        )
        return [*_train(ctx, data=ctx.asset("ph"))[:2], str(r), *_train(ctx)[3:]]

    add(Entry("untrusted code", "YAML tag in a recipe", payload_recipe, "r.yaml"))

    def payload_bundle_recipe(ctx: Ctx) -> list[str]:
        m = _bundle_with(
            ctx,
            lambda m: (m / "recipe.yaml").write_text(
                f"!!python/object/apply:pathlib.Path.write_text [{ctx.root / 'pwned'!s}, {PAYLOAD_MARK}]\n", encoding="utf-8"
            ),
        )
        return _predict(ctx, m)

    add(Entry("untrusted code", "YAML tag in a bundle's recipe.yaml", payload_bundle_recipe, "recipe.yaml"))

    def payload_manifest(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        (ds / "manifest.yaml").write_text(
            f"cases: !!python/object/apply:pathlib.Path.write_text [{ctx.root / 'pwned'!s}, {PAYLOAD_MARK}]\n", encoding="utf-8"
        )
        return _threshold(ctx, ds)

    add(Entry("untrusted code", "YAML tag in a manifest", payload_manifest, "manifest.yaml"))

    # --- paths: nothing outside --out, inputs untouched
    for label, cid in (
        ("case_id ../../x", "../../x"),
        ("absolute case_id", "/tmp/strokeseg-abs-case"),
        ("case_id with a slash", "a/b"),
        ("case_id '..'", ".."),
        ("case_id '.'", "."),
        ("hidden case_id", ".hidden"),
        ("case_id with a space", "a b"),
    ):
        add(
            Entry(
                "paths", label, lambda ctx, cid=cid: _threshold(ctx, _manifest(ctx, [f"{cid},ct.nii.gz,cbf.nii.gz,tmax.nii.gz"])), "case id"
            )
        )
    add(
        Entry(
            "paths",
            "--out equal to the input",
            lambda ctx: [*_threshold(ctx, _one_case(ctx))[:2], "--out", str(ctx.inp / "ph")],
            "input folder",
        )
    )
    add(
        Entry(
            "paths", "--out above the input", lambda ctx: [*_threshold(ctx, _one_case(ctx))[:2], "--out", str(ctx.inp)], "above the input"
        )
    )
    add(
        Entry(
            "paths",
            "--out inside the input",
            lambda ctx: [*_threshold(ctx, _one_case(ctx))[:2], "--out", str(ctx.inp / "ph" / "o")],
            "inside the input",
        )
    )
    add(
        Entry(
            "paths",
            "--out inside the input case folder",
            lambda ctx: [*_threshold(ctx, _one_case(ctx))[:2], "--out", str(ctx.inp / "ph" / "case_1" / "o")],
            "inside the input",
        )
    )
    add(
        Entry(
            "paths",
            "info --json into the dataset it describes",
            lambda ctx: ["info", str(_one_case(ctx)), "--json", str(ctx.inp / "ph" / "info.json")],
            "into the input",
        )
    )
    add(
        Entry(
            "paths",
            "sweep grid value that climbs out of --out",
            lambda ctx: [
                "sweep",
                "--recipe",
                RECIPE,
                "--data",
                str(ctx.asset("ph")),
                "--out",
                str(ctx.out),
                *TINY_TRAIN,
                "--grid",
                "description=../../../x",
            ],
            "outside the output folder",
        )
    )

    def manifest_elsewhere(ctx: Ctx) -> list[str]:
        data = ctx.inp / "images"
        data.mkdir(parents=True)
        for f in ("ct", "cbf", "tmax"):
            write_nifti(data / f"{f}.nii.gz", image(seed=len(f)), GEOM)
        man = ctx.inp / "man"
        man.mkdir()
        (man / "manifest.csv").write_text(
            f"case_id,image:CT,image:CBF,image:Tmax\nc1,{data}/ct.nii.gz,{data}/cbf.nii.gz,{data}/tmax.nii.gz\n", encoding="utf-8"
        )
        return ["threshold", str(man), "--out", str(data / "results")]

    add(Entry("paths", "--out inside the folder of a file a manifest lists", manifest_elsewhere, "inside the input"))
    add(Entry("paths", "--out inside --model", lambda ctx: [*_predict(ctx)[:5], "--out", str(ctx.inp / "model" / "p")], "model bundle"))

    def mhd_outside(ctx: Ctx, target: str) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        (ds / "ct.mhd").write_text(
            f"ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\nElementType = MET_UCHAR\nElementDataFile = {target}\n", encoding="utf-8"
        )
        (ctx.root / "secret.raw").write_bytes(bytes(64))
        (ds / "manifest.csv").write_text("case_id,image:CT\nc1,ct.mhd\n", encoding="utf-8")
        return ["info", str(ds)]

    add(Entry("paths", ".mhd data file /etc/passwd", lambda ctx: mhd_outside(ctx, "/etc/passwd"), "ct.mhd", code=1))
    add(
        Entry(
            "paths",
            ".mhd data file ../secret.raw",
            lambda ctx: _threshold(ctx, ctx.inp / "man") if mhd_outside(ctx, "../../secret.raw") else [],
            "ct.mhd",
        )
    )

    # --- the output folder
    def out_is_file(ctx: Ctx) -> list[str]:
        ctx.out.write_text("not a folder", encoding="utf-8")
        return _threshold(ctx, _one_case(ctx))

    add(Entry("output folder", "--out is a file", out_is_file, "not a folder", pre_out=True))

    def out_read_only(ctx: Ctx) -> list[str]:
        ctx.out.mkdir()
        ctx.out.chmod(0o555)
        return _threshold(ctx, _one_case(ctx))

    if os.geteuid() != 0:  # root writes into a 0555 folder all the same
        add(Entry("output folder", "--out is read-only", out_read_only, "not writable", pre_out=True))

    def out_below_file(ctx: Ctx) -> list[str]:
        ctx.root.joinpath("afile").write_text("x", encoding="utf-8")
        return [*_threshold(ctx, _one_case(ctx))[:2], "--out", str(ctx.root / "afile" / "out")]

    add(Entry("output folder", "--out below a file (cannot be created)", out_below_file, "cannot create"))

    def out_foreign(ctx: Ctx, *flags: str) -> list[str]:
        ctx.out.mkdir()
        (ctx.out / "thesis.docx").write_text("precious", encoding="utf-8")
        return _threshold(ctx, _one_case(ctx), *flags)

    add(Entry("output folder", "non-empty --out", out_foreign, "not empty", pre_out=True))
    add(
        Entry(
            "output folder",
            "--overwrite of a folder strokeseg did not write",
            lambda ctx: out_foreign(ctx, "--overwrite"),
            "did not write",
            pre_out=True,
        )
    )
    add(
        Entry(
            "output folder",
            "--resume into a folder strokeseg did not write",
            lambda ctx: out_foreign(ctx, "--resume"),
            "did not write",
            pre_out=True,
        )
    )

    def out_locked(ctx: Ctx) -> list[str]:
        import fcntl

        ctx.out.mkdir()
        fd = os.open(ctx.out / ".strokeseg.lock", os.O_CREAT | os.O_RDWR)
        os.write(fd, b"4242")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        ctx.root.joinpath(".held").write_text(str(fd), encoding="utf-8")  # kept open (and locked) by this process
        _LOCKS.append(fd)
        return _threshold(ctx, _one_case(ctx))

    add(Entry("output folder", "another run holds --out", out_locked, "another strokeseg run", pre_out=True))

    def out_user_file(ctx: Ctx) -> list[str]:
        from strokeseg.cli import main

        args = _threshold(ctx, _one_case(ctx))
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0
        (ctx.out / "thesis.docx").write_bytes(b"four years of work")  # the user's own file, added afterwards
        return [*args, "--overwrite"]

    add(Entry("output folder", "--overwrite of a strokeseg run holding a file the user added", out_user_file, "thesis.docx", pre_out=True))

    def out_lock_symlink(ctx: Ctx) -> list[str]:
        ctx.out.mkdir()
        victim = ctx.root / "victim.txt"  # outside --out: the snapshot proves it is untouched
        victim.write_text("precious\n", encoding="utf-8")
        (ctx.out / ".strokeseg.lock").symlink_to(victim)
        return _threshold(ctx, _one_case(ctx))

    add(Entry("symlinks", "the lock file is a symlink to a file outside --out", out_lock_symlink, "symbolic link", pre_out=True))

    def out_lock_fifo(ctx: Ctx) -> list[str]:
        ctx.out.mkdir()
        os.mkfifo(ctx.out / ".strokeseg.lock")
        return _threshold(ctx, _one_case(ctx))

    add(Entry("output folder", "the lock file is a FIFO", out_lock_fifo, "not a regular file", pre_out=True))

    def out_results_no_flag(ctx: Ctx) -> list[str]:
        from strokeseg.cli import main

        args = _threshold(ctx, _one_case(ctx))
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0
        return args

    add(Entry("output folder", "rerun into earlier results without --overwrite/--resume", out_results_no_flag, "not empty", pre_out=True))

    # --- geometry: validated, never changed
    def bad_affine(ctx: Ctx, affine: np.ndarray, pixdim=None) -> list[str]:
        ds = _one_case(ctx)
        f = _file(ds, "CT_CBF")
        import nibabel as nib

        data = np.asanyarray(nib.load(str(f)).dataobj)
        f.unlink()
        _write_raw_nifti(f, data, affine, pixdim or (1.0, 1.0, 1.0))
        return _threshold(ctx, ds)

    nan_aff = np.eye(4)
    nan_aff[0, 0] = np.nan
    sing = np.diag([1.0, 1.0, 0.0, 1.0])
    add(Entry("geometry", "NaN in the affine", lambda ctx: bad_affine(ctx, nan_aff), "CT_CBF"))
    add(Entry("geometry", "singular affine (zero axis)", lambda ctx: bad_affine(ctx, sing), "CT_CBF"))
    par = np.eye(4)
    par[:3, 1] = par[:3, 0]
    add(Entry("geometry", "singular affine (parallel axes)", lambda ctx: bad_affine(ctx, par), "CT_CBF"))

    def zero_pixdim(ctx: Ctx) -> list[str]:
        import nibabel as nib

        ds = _one_case(ctx)
        f = _file(ds, "CT")
        data = np.asanyarray(nib.load(str(f)).dataobj)
        f.unlink()
        _write_raw_nifti(f, data, np.diag([3.0, 3.0, 0.0, 1.0]), pixdim=(3.0, 3.0, 0.0))
        return _threshold(ctx, ds)

    add(Entry("geometry", "zero voxel spacing (pixdim)", zero_pixdim, "SMIR.Brain.XX.O.CT."))

    def zero_pixdim_no_affine(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        import nibabel as nib

        img = nib.Nifti1Image(np.ones((11, 13, 5), np.float32), None)
        hdr = img.header
        hdr["pixdim"][1:4] = (0.9, 0.0, 5.0)
        hdr["qform_code"], hdr["sform_code"] = 0, 0
        (ds / "ct.nii").write_bytes(hdr.binaryblock + b"\0" * 4 + np.ones((11, 13, 5), np.float32).tobytes(order="F"))
        (ds / "manifest.csv").write_text("case_id,image:CT\nc1,ct.nii\n", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("geometry", "zero pixdim and no affine (nibabel would make it 1 mm)", zero_pixdim_no_affine, "pixdim"))

    def two_d(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        import nibabel as nib

        nib.save(nib.Nifti1Image(np.ones((13, 11), np.float32), np.eye(4)), str(ds / "ct.nii.gz"))
        nib.save(nib.Nifti1Image(np.ones((13, 11, 3), np.float32), np.eye(4)), str(ds / "cbf.nii.gz"))
        (ds / "manifest.csv").write_text("case_id,image:CT,image:CBF\nc1,ct.nii.gz,cbf.nii.gz\n", encoding="utf-8")
        return ["info", str(ds)]

    add(Entry("geometry", "2D image (read as one slice, no traceback)", two_d, code=0))

    def zero_axis(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        import nibabel as nib

        nib.save(nib.Nifti1Image(np.ones((13, 0, 3), np.float32), np.eye(4)), str(ds / "ct.nii.gz"))
        (ds / "manifest.csv").write_text("case_id,image:CT\nc1,ct.nii.gz\n", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("geometry", "zero-length axis", zero_axis, "ct.nii.gz"))

    # --- sizes checked before allocation
    def liar_gz(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        (ds / "ct.nii.gz").write_bytes(gzip.compress(_nifti_header_bytes((2000, 2000, 500))))
        (ds / "manifest.csv").write_text("case_id,image:CT\nc1,ct.nii.gz\n", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("sizes", "tiny .nii.gz claiming 2000×2000×500 voxels", liar_gz, "ct.nii.gz"))

    def huge_claim(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        (ds / "ct.nii").write_bytes(_nifti_header_bytes((30000, 30000, 30000)))
        (ds / "manifest.csv").write_text("case_id,image:CT\nc1,ct.nii\n", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("sizes", ".nii claiming 2.7e13 voxels (over the memory ceiling)", huge_claim, "ct.nii"))

    def gz_claim_over_4gib(ctx: Ctx, name: str) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        data = _nifti_header_bytes((1250, 1250, 1280))  # 2e9 voxels, 7.45 GiB as float32: under the memory ceiling
        (ds / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        (ds / "manifest.csv").write_text(f"case_id,image:CT\nc1,{name}\n", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("sizes", "68-byte .nii.gz claiming 7.45 GiB", lambda ctx: gz_claim_over_4gib(ctx, "ct.nii.gz"), "ct.nii.gz"))
    add(Entry("sizes", "352-byte .nii claiming 7.45 GiB", lambda ctx: gz_claim_over_4gib(ctx, "ct.nii"), "ct.nii"))

    def truncated_nii(ctx: Ctx) -> list[str]:
        ds = _one_case(ctx)
        f = _file(ds, "CT_Tmax")
        f.write_bytes(f.read_bytes()[:1000])
        return _threshold(ctx, ds)

    add(Entry("sizes", "truncated .nii", truncated_nii, "CT_Tmax"))

    def mha_claim(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        (ds / "ct.mha").write_bytes(
            b"ObjectType = Image\nNDims = 3\nDimSize = 5000 5000 5000\nElementType = MET_FLOAT\nElementDataFile = LOCAL\n" + bytes(16)
        )
        (ds / "manifest.csv").write_text("case_id,image:CT\nc1,ct.mha\n", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("sizes", ".mha claiming 125 G voxels", mha_claim, "ct.mha"))
    add(
        Entry(
            "sizes",
            "patch_size [1, 9999, 9999]",
            lambda ctx: _train(ctx, "--set", "sampling.patch_size=[1,9999,9999]", "--set", "inference.step=[1,8,8]"),
            "patch_size",
        )
    )
    add(
        Entry(
            "sizes",
            "patch more than twice the volume",
            lambda ctx: _train(ctx, "--set", "sampling.patch_size=[8,64,64]", "--set", "inference.step=[1,8,8]"),
            "patch_size",
        )
    )

    # --- text encodings
    latin1 = "case_id,image:CT\nc\xe9,ct.nii.gz\n".encode("latin-1")

    def bad_csv(ctx: Ctx) -> list[str]:
        ds = _manifest(ctx, [])
        (ds / "manifest.csv").write_bytes(latin1)
        return _threshold(ctx, ds)

    add(Entry("encodings", "non-UTF-8 manifest.csv", bad_csv, "manifest.csv"))

    def bad_yaml_manifest(ctx: Ctx) -> list[str]:
        ds = _manifest(ctx, [])
        (ds / "manifest.csv").unlink()
        (ds / "manifest.yaml").write_bytes("cases:\n  - case_id: c\xe9\n".encode("latin-1"))
        return _threshold(ctx, ds)

    add(Entry("encodings", "non-UTF-8 manifest.yaml", bad_yaml_manifest, "manifest.yaml"))

    def bad_patients(ctx: Ctx) -> list[str]:
        ds = _one_case(ctx)
        (ds / "patients.csv").write_bytes("case_id,patient_id,group\ncase_1,p\xe9,LVO\n".encode("latin-1"))
        return _threshold(ctx, ds)

    add(Entry("encodings", "non-UTF-8 patients.csv", bad_patients, "patients.csv"))

    def bad_phenotype(ctx: Ctx) -> list[str]:
        ds = make_isles2024(ctx.inp / "i24", n_cases=1)
        next(ds.rglob("*demographic_baseline.csv")).write_bytes("Age,Sex\n70,\xe9\n".encode("latin-1"))
        return ["info", str(ds)]

    add(Entry("encodings", "non-UTF-8 phenotype table", bad_phenotype, "demographic_baseline.csv"))
    add(
        Entry(
            "encodings",
            "non-UTF-8 recipe",
            lambda ctx: [
                "train",
                "--recipe",
                str(_recipe_file(ctx, "name: r\u00e9".encode("latin-1"))),
                "--data",
                str(ctx.asset("ph")),
                "--out",
                str(ctx.out),
            ],
            "r.yaml",
        )
    )

    def bad_bundle_json_enc(ctx: Ctx) -> list[str]:
        return _predict(ctx, _bundle_with(ctx, lambda m: (m / "bundle.json").write_bytes(b'{"format": 1, "x": "\xe9"}')))

    add(Entry("encodings", "non-UTF-8 bundle.json", bad_bundle_json_enc, "bundle.json"))

    # --- model bundles
    def edit_json(edit: Callable[[dict], object]) -> Callable[[Path], None]:
        def go(m: Path) -> None:
            d = json.loads((m / "bundle.json").read_text(encoding="utf-8"))
            edit(d)
            (m / "bundle.json").write_text(json.dumps(d), encoding="utf-8")

        return go

    add(
        Entry(
            "bundles",
            "bundle.json is not JSON",
            lambda ctx: _predict(ctx, _bundle_with(ctx, lambda m: (m / "bundle.json").write_text("{broken", encoding="utf-8"))),
            "bundle.json",
        )
    )
    add(
        Entry(
            "bundles",
            "bundle.json is a list",
            lambda ctx: _predict(ctx, _bundle_with(ctx, lambda m: (m / "bundle.json").write_text("[1, 2]", encoding="utf-8"))),
            "bundle.json",
        )
    )
    add(
        Entry(
            "bundles",
            "bundle.json lacks its folds",
            lambda ctx: _predict(ctx, _bundle_with(ctx, edit_json(lambda d: d.pop("folds")))),
            "bundle.json",
        )
    )
    add(
        Entry(
            "bundles",
            "bundle.json threshold is a word",
            lambda ctx: _predict(ctx, _bundle_with(ctx, edit_json(lambda d: d.update(threshold="high")))),
            "bundle.json",
        )
    )
    add(
        Entry(
            "bundles",
            "weights path escapes the bundle",
            lambda ctx: _predict(ctx, _bundle_with(ctx, edit_json(lambda d: d["folds"][0].update(weights="../../../etc/passwd")))),
            "bundle.json",
        )
    )
    add(
        Entry(
            "bundles",
            "bundle.json missing (training unfinished)",
            lambda ctx: _predict(ctx, _bundle_with(ctx, lambda m: (m / "bundle.json").unlink())),
            "bundle.json missing",
        )
    )
    add(
        Entry(
            "bundles",
            "recipe.yaml corrupt",
            lambda ctx: _predict(ctx, _bundle_with(ctx, lambda m: (m / "recipe.yaml").write_text("name: [unclosed", encoding="utf-8"))),
            "recipe.yaml",
        )
    )
    add(
        Entry(
            "bundles",
            "recipe.yaml with an invalid value",
            lambda ctx: _predict(
                ctx,
                _bundle_with(
                    ctx,
                    lambda m: (m / "recipe.yaml").write_text(
                        (m / "recipe.yaml").read_text(encoding="utf-8").replace("epochs: 1", "epochs: ten"), encoding="utf-8"
                    ),
                ),
            ),
            "recipe.yaml",
        )
    )
    add(
        Entry(
            "bundles",
            "0-byte weights.pt",
            lambda ctx: _predict(ctx, _bundle_with(ctx, lambda m: (m / "fold_0" / "weights.pt").write_bytes(b""))),
            "weights.pt",
        )
    )
    add(
        Entry(
            "bundles",
            "truncated weights.pt",
            lambda ctx: _predict(
                ctx,
                _bundle_with(ctx, lambda m: (m / "fold_1" / "weights.pt").write_bytes((m / "fold_1" / "weights.pt").read_bytes()[:5000])),
            ),
            "weights.pt",
        )
    )

    add(
        Entry(
            "bundles",
            "checksums deleted, weights swapped",
            lambda ctx: _predict(
                ctx, _bundle_with(ctx, lambda m: (swapped_weights(m), edit_json(lambda d: [f.pop("sha256") for f in d["folds"]])(m)))
            ),
            "SHA-256",
        )
    )
    for label, key, value, says in (
        ("NaN threshold", "threshold", float("nan"), "threshold"),
        ("threshold 7", "threshold", 7, "threshold"),
        ("num_classes 10**9", "num_classes", 10**9, "num_classes"),
        ("negative min_size", "min_size", -5, "min_size"),
    ):
        add(
            Entry(
                "bundles", label, lambda ctx, k=key, v=value: _predict(ctx, _bundle_with(ctx, edit_json(lambda d: d.update({k: v})))), says
            )
        )
    add(
        Entry(
            "bundles",
            "NaN normalisation statistics",
            lambda ctx: _predict(
                ctx,
                _bundle_with(
                    ctx,
                    edit_json(
                        lambda d: d["folds"][0]["normalization"].update(mean=[float("nan")] * len(d["folds"][0]["normalization"]["mean"]))
                    ),
                ),
            ),
            "normalization",
        )
    )

    def swapped_weights(m: Path) -> None:
        shutil.copy(m / "fold_1" / "weights.pt", m / "fold_0" / "weights.pt")

    add(Entry("bundles", "weights of another fold (checksum)", lambda ctx: _predict(ctx, _bundle_with(ctx, swapped_weights)), "checksum"))

    def wrong_net(m: Path) -> None:
        import torch

        sd = torch.load(m / "fold_0" / "weights.pt", weights_only=True)
        torch.save({k: v[..., :1] if v.ndim else v for k, v in sd.items()}, m / "fold_0" / "weights.pt")
        digest = hashlib.sha256((m / "fold_0" / "weights.pt").read_bytes()).hexdigest()
        edit_json(lambda d: d["folds"][0].update(sha256=digest))(m)

    add(Entry("bundles", "weights of another network", lambda ctx: _predict(ctx, _bundle_with(ctx, wrong_net)), "weights.pt"))
    add(
        Entry(
            "bundles",
            "weights file missing",
            lambda ctx: _predict(ctx, _bundle_with(ctx, lambda m: (m / "fold_0" / "weights.pt").unlink())),
            "weights.pt",
        )
    )
    add(Entry("bundles", "--model is a file", lambda ctx: _predict(ctx, ctx.asset("model") / "bundle.json"), "bundle"))

    # --- recipes and options validated at load
    def recipe(text: str) -> Callable[[Ctx], list[str]]:
        return lambda ctx: ["train", "--recipe", str(_recipe_file(ctx, text)), "--data", str(ctx.asset("ph")), "--out", str(ctx.out)]

    add(Entry("recipes", "recipe that extends itself", lambda ctx: recipe("extends: r.yaml\nname: loop\n")(ctx), "cycle"))
    add(Entry("recipes", "recipe that is a list", recipe("- a\n- b\n"), "r.yaml"))
    add(Entry("recipes", "recipe with broken YAML", recipe("name: [x\n"), "r.yaml"))
    add(Entry("recipes", "recipe whose sampling is a number", recipe("extends: clerigues-ct-2d-fast\nname: x\nsampling: 5\n"), "sampling"))
    add(
        Entry(
            "recipes",
            "postprocess.search sideways",
            recipe("extends: clerigues-ct-2d-fast\nname: x\npostprocess: {search: sideways}\n"),
            "postprocess.search",
        )
    )
    for label, override, key in (
        ("epochs: ten", "epochs=ten", "epochs"),
        ("epochs=0", "epochs=0", "epochs"),
        ("batch_size=0", "batch_size=0", "batch_size"),
        ("batch_size: -4", "batch_size=-4", "batch_size"),
        ("folds=0", "folds=0", "folds"),
        ("folds=1", "folds=1", "folds"),
        ("optimizer block without name", "optimizer={kwargs: {lr: 0.1}}", "optimizer.name"),
        ("unknown recipe key", "learning_rate=0.1", "learning_rate"),
        ("unknown nested key", "sampling.patchsize=[1,8,8]", "patchsize"),
        ("--set into a scalar", "epochs.max=3", "epochs"),
        ("inference.mc_passes=0", "inference.mc_passes=0", "mc_passes"),
        ("threshold list with 1.5", "postprocess.thresholds=[1.5]", "thresholds"),
        ("validation_fraction=1", "validation_fraction=1", "validation_fraction"),
    ):
        add(
            Entry(
                "recipes",
                label,
                lambda ctx, o=override: ["train", "--recipe", RECIPE, "--data", str(ctx.asset("ph")), "--out", str(ctx.out), "--set", o],
                key,
            )
        )
    add(Entry("recipes", "--epochs 0", lambda ctx: _train(ctx, "--epochs", "0"), "--epochs"))
    add(
        Entry(
            "recipes",
            "unknown shipped recipe",
            lambda ctx: ["train", "--recipe", "nnunet", "--data", str(ctx.asset("ph")), "--out", str(ctx.out)],
            "nnunet",
        )
    )
    add(
        Entry(
            "recipes",
            "recipe path is a folder",
            lambda ctx: ["train", "--recipe", str(ctx.asset("ph")), "--data", str(ctx.asset("ph")), "--out", str(ctx.out)],
            "folder",
        )
    )
    add(
        Entry(
            "options",
            "--regions bogus",
            lambda ctx: [
                "evaluate",
                "--pred",
                str(ctx.asset("ph")),
                "--truth",
                str(ctx.asset("ph")),
                "--out",
                str(ctx.out),
                "--regions",
                "bogus",
            ],
            "bogus",
        )
    )
    add(Entry("options", "--folds a,b", lambda ctx: _predict(ctx, None, "--folds", "a,b"), "--folds"))
    add(Entry("options", "--folds 7 (not in the bundle)", lambda ctx: _predict(ctx, None, "--folds", "7"), "fold"))
    add(
        Entry(
            "options",
            "--smoothing-fwhm -5",
            lambda ctx: ["perfusion", str(_one_case(ctx)), "--out", str(ctx.out), "--smoothing-fwhm", "-5"],
            "--smoothing-fwhm",
        )
    )
    add(Entry("options", "--mc-passes -3", lambda ctx: _predict(ctx, None, "--mc-passes", "-3"), "--mc-passes"))
    add(
        Entry(
            "options",
            "--frame-interval 0",
            lambda ctx: ["perfusion", str(_one_case(ctx)), "--out", str(ctx.out), "--frame-interval", "0"],
            "--frame-interval",
        )
    )
    add(Entry("options", "--threshold 2", lambda ctx: _predict(ctx, None, "--threshold", "2"), "--threshold"))
    add(Entry("options", "--label-map bogus", lambda ctx: _threshold(ctx, _one_case(ctx), "--label-map", "1-2"), "--label-map"))
    add(Entry("options", "--min-size-ml -1", lambda ctx: _threshold(ctx, _one_case(ctx), "--min-size-ml", "-1"), "--min-size-ml"))
    add(Entry("options", "--overwrite with --resume", lambda ctx: _threshold(ctx, _one_case(ctx), "--overwrite", "--resume"), "--resume"))

    # --- images and series
    def constant_series(ctx: Ctx, modality: str, value: float) -> list[str]:
        ctx.inp.mkdir(parents=True)
        g = Geometry((3, 12, 12), (2.0, 2.0, 5.0))
        write_nifti(ctx.inp / "series.nii.gz", np.full((3, 12, 12, 30), value, np.float32), g, frame_interval=1.5)
        return ["perfusion", str(ctx.inp / "series.nii.gz"), "--out", str(ctx.out), "--modality", modality]

    add(Entry("images", "constant-signal MR series", lambda ctx: constant_series(ctx, "mr", 400.0), "series.nii.gz"))
    add(Entry("images", "constant-signal CT series", lambda ctx: constant_series(ctx, "ct", 30.0), "series.nii.gz"))

    def series_no_dt(ctx: Ctx) -> list[str]:
        ctx.inp.mkdir(parents=True)
        import nibabel as nib

        img = nib.Nifti1Image(np.zeros((12, 12, 3, 20), np.float32), np.eye(4))
        img.header["pixdim"][4] = 0
        nib.save(img, str(ctx.inp / "ctp.nii.gz"))
        return ["perfusion", str(ctx.inp / "ctp.nii.gz"), "--out", str(ctx.out)]

    add(Entry("images", "4D series without a frame interval", series_no_dt, "ctp.nii.gz"))

    def nan_map(ctx: Ctx) -> list[str]:
        ds = _one_case(ctx)
        f = _file(ds, "CT_CBF")
        import nibabel as nib

        img = nib.load(str(f))
        data = np.asanyarray(img.dataobj).astype(np.float32)
        data[0, 0, 0] = np.nan
        nib.save(nib.Nifti1Image(data, img.affine, img.header), str(f))
        return _threshold(ctx, ds)

    add(Entry("images", "NaN voxel in a map", nan_map, "CT_CBF"))

    def corrupt_gz(ctx: Ctx) -> list[str]:
        ds = _manifest(ctx, ["c1,ct.nii.gz,cbf.nii.gz,tmax.nii.gz"])
        blob = bytearray((ds / "cbf.nii.gz").read_bytes())
        blob[40:80] = bytes(40)
        (ds / "cbf.nii.gz").write_bytes(bytes(blob))
        return _threshold(ctx, ds)

    add(Entry("images", "corrupt gzip stream", corrupt_gz, "cbf.nii.gz"))

    def text_as_nii(ctx: Ctx) -> list[str]:
        ds = _manifest(ctx, ["c1,ct.nii.gz,cbf.nii.gz,tmax.nii.gz"])
        (ds / "tmax.nii.gz").write_text("hello", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("images", "text file named .nii.gz", text_as_nii, "tmax.nii.gz"))

    def bad_labels(ctx: Ctx, values: list[float]) -> list[str]:
        truth = ctx.inp / "truth"
        pred = ctx.inp / "pred"
        truth.mkdir(parents=True)
        pred.mkdir(parents=True)
        lab = label_volume().astype(np.float32)
        lab[0, 0, : len(values)] = values
        write_nifti(truth / "c01.nii.gz", lab, GEOM, dtype=np.float32)
        write_nifti(pred / "c01.nii.gz", label_volume(), GEOM)
        return ["evaluate", "--pred", str(pred), "--truth", str(truth), "--out", str(ctx.out)]

    add(Entry("images", "NaN in a label map", lambda ctx: bad_labels(ctx, [float("nan")]), "--nonfinite zero"))
    add(
        Entry(
            "images", "NaN in a label map, --nonfinite zero", lambda ctx: [*bad_labels(ctx, [float("nan")]), "--nonfinite", "zero"], code=0
        )
    )
    add(Entry("images", "negative label values", lambda ctx: bad_labels(ctx, [-1.0, -3.0]), "[-3, -1]"))
    add(Entry("images", "non-integer label values", lambda ctx: bad_labels(ctx, [0.5]), "non-integer"))
    add(Entry("images", "map 117 mm away from the reference", lambda ctx: _threshold(ctx, _far_map(ctx, 117.0)), "cbf.nii.gz"))
    add(
        Entry(
            "images", "map overlapping 10 % of the reference", lambda ctx: _threshold(ctx, _far_map(ctx, 0.9 * 5 * 13 * 0.8)), "cbf.nii.gz"
        )
    )

    add(
        Entry(
            "paths",
            "a manifest with image:CT twice",
            lambda ctx: _threshold(
                ctx, _manifest(ctx, ["c1,ct.nii.gz,cbf.nii.gz,tmax.nii.gz,ct.nii.gz"], "case_id,image:CT,image:CBF,image:Tmax,image:CT")
            ),
            "'image:CT' twice",
        )
    )

    # --- environment: every STROKESEG_* variable checked at start-up, one line naming it
    for var, value in (
        ("STROKESEG_THREADS", "0"),
        ("STROKESEG_THREADS", "-1"),
        ("STROKESEG_THREADS", "abc"),
        ("STROKESEG_THREADS", "99999"),
        ("STROKESEG_MAX_IMAGE_GB", "inf"),
        ("STROKESEG_MAX_IMAGE_GB", "-2"),
        ("STROKESEG_CACHE_MAX_GB", "lots"),
        ("STROKESEG_CACHE", ""),
        ("STROKESEG_DETERMINISTIC", "yes"),
    ):
        add(Entry("environment", f"{var}={value!r} (threshold)", lambda ctx: _threshold(ctx, _one_case(ctx)), var, env=((var, value),)))
    add(
        Entry(
            "environment",
            "STROKESEG_THREADS=99999 (predict)",
            lambda ctx: _predict(ctx),
            "STROKESEG_THREADS",
            env=(("STROKESEG_THREADS", "99999"),),
        )
    )

    def yaml_images_list(ctx: Ctx) -> list[str]:
        ds = ctx.inp / "man"
        ds.mkdir(parents=True)
        (ds / "manifest.yaml").write_text("cases:\n  - case_id: c1\n    images: [ct.nii.gz, cbf.nii.gz]\n", encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("paths", "a YAML manifest whose images is a list", yaml_images_list, "'images' must be a mapping"))

    def yaml_duplicate_key(ctx: Ctx) -> list[str]:
        ds = _manifest(ctx, [])
        (ds / "manifest.csv").unlink()
        text = "cases:\n  - case_id: c1\n    images:\n      CT: ct.nii.gz\n      CT: cbf.nii.gz\n      Tmax: tmax.nii.gz\n"
        (ds / "manifest.yaml").write_text(text, encoding="utf-8")
        return _threshold(ctx, ds)

    add(Entry("paths", "a YAML manifest with the key CT twice", yaml_duplicate_key, "'CT' is given twice"))

    # --- internal errors found by the round-3 re-run, each one line now
    add(
        Entry(
            "executors",
            "garbage --scheduler address",
            lambda ctx: _threshold(ctx, _one_case(ctx), "--scheduler", "garbage:::"),
            "scheduler",
        )
    )
    add(
        Entry(
            "bundles",
            "bundle.json nested 100000 deep",
            lambda ctx: _predict(ctx, _bundle_with(ctx, lambda m: (m / "bundle.json").write_text("[" * 100000 + "]" * 100000))),
            "bundle.json",
        )
    )

    def checkpoint_wrong_shapes(ctx: Ctx) -> list[str]:
        import torch

        shutil.copytree(ctx.assets / "model", ctx.out)
        fold = ctx.out / "fold_0"
        weights = torch.load(fold / "weights.pt", weights_only=True)
        bad = {k: (v[..., :1].clone() if v.ndim else v) for k, v in weights.items()}
        ck = fold / "checkpoint.pt"
        if ck.exists():
            state = torch.load(ck, weights_only=True)
            state["model"] = bad
        else:
            state = {"model": bad, "epoch": 0}
        torch.save(state, ck)
        return _train(ctx, "--resume")

    add(
        Entry(
            "partial output",
            "train --resume from a checkpoint with wrong tensor shapes",
            checkpoint_wrong_shapes,
            "checkpoint.pt",
            pre_out=True,
        )
    )
    add(Entry("dicom in", "empty ImagePositionPatient", lambda ctx: _dicom(ctx, "empty_position"), "IM00001.dcm"))
    add(Entry("dicom in", "export: two CBF series in one study", lambda ctx: _dicom_export(ctx, None), "--series CBF="))
    add(Entry("dicom in", "export: --series names no series", lambda ctx: _dicom_export(ctx, "CBF=1.2.3.4"), "names no series"))
    add(Entry("dicom in", "export: --series without '='", lambda ctx: _dicom_export(ctx, "CBF"), "ROLE=SERIES_UID"))

    # --- reports: the run folder's own records are untrusted input too
    def report_hostile_ids(ctx: Ctx, cid: str) -> list[str]:
        from strokeseg.cli import main

        args = bad_labels(ctx, [])
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0
        summary = ctx.out / "summary.json"
        ev = json.loads(summary.read_text(encoding="utf-8"))
        for row in ev["cases"]:
            row["case_id"] = cid
        summary.write_text(json.dumps(ev), encoding="utf-8")
        return ["report", str(ctx.out)]

    add(
        Entry(
            "reports", "evaluation case id ../../../x", lambda ctx: report_hostile_ids(ctx, "../../../x"), "not a plain name", pre_out=True
        )
    )
    add(
        Entry(
            "reports",
            "evaluation case id is an absolute path",
            lambda ctx: report_hostile_ids(ctx, "/tmp/x"),
            "not a plain name",
            pre_out=True,
        )
    )
    add(Entry("reports", "evaluation case id 'report'", lambda ctx: report_hostile_ids(ctx, "report"), "reserved", pre_out=True))

    def report_damaged(ctx: Ctx, edit: Callable[[dict[str, Any]], Any]) -> list[str]:
        """``report`` on a threshold run whose read-out was edited afterwards (by hand, or by another tool)."""
        from strokeseg.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            assert main(_threshold(ctx, _one_case(ctx))) == 0
        path = ctx.out / "case_1" / "case_1_readout.json"
        path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
        return ["report", str(ctx.out)]

    for what, edit, names in (
        ("'s core_ml is text", lambda d: {**d, "core_ml": "lots"}, "'core_ml' is str"),
        ("is a list", lambda d: [1, 2, 3], "not a JSON object"),
        ("has an unknown key", lambda d: {**d, "core_volume": 3.0}, "unknown key 'core_volume'"),
        ("'s clinical.age is a list", lambda d: {**d, "clinical": {**d["clinical"], "age": [71]}}, "'clinical.age' is list"),
        ("'s core_ml is infinite", lambda d: {**d, "core_ml": float("inf")}, "case_1_readout.json"),
        ("is of a newer format", lambda d: {**d, "format": 99}, "format 99"),
    ):
        add(
            Entry(
                "reports",
                f"report on a run whose read-out{'' if what.startswith(chr(39)) else ' '}{what}",
                functools.partial(report_damaged, edit=edit),
                names,
                pre_out=True,
            )
        )

    def reserved_case(ctx: Ctx, cid: str) -> list[str]:
        return _threshold(ctx, _manifest(ctx, [f"{cid},ct.nii.gz,cbf.nii.gz,tmax.nii.gz"]))

    add(Entry("paths", "a case named 'report'", lambda ctx: reserved_case(ctx, "report"), "reserved"))
    add(Entry("paths", "a case named 'evaluation'", lambda ctx: reserved_case(ctx, "evaluation"), "reserved"))

    # --- DICOM series
    add(Entry("dicom in", "unreadable slice", lambda ctx: _dicom(ctx, "unreadable"), "IM00001.dcm"))
    add(Entry("dicom in", "duplicate slice", lambda ctx: _dicom(ctx, "duplicate"), "duplicate slice", code=1))
    add(Entry("dicom in", "missing slice", lambda ctx: _dicom(ctx, "missing"), "missing slice", code=1))
    add(Entry("dicom in", "truncated slice", lambda ctx: _dicom(ctx, "truncated"), "IM00002.dcm"))
    add(Entry("dicom in", "PixelSpacing 0\\0", lambda ctx: _dicom(ctx, "zero_spacing"), "PixelSpacing", code=1))
    add(Entry("dicom in", "Rows 9999 over 16 rows of pixels", lambda ctx: _dicom(ctx, "lying_rows"), "pixel data disagree", code=1))
    add(
        Entry(
            "dicom in",
            "4D series missing one slice position",
            lambda ctx: ["perfusion", str(_dicom4d(ctx, "position")), "--out", str(ctx.out)],
            "missing slice",
        )
    )
    add(
        Entry(
            "dicom in",
            "4D series missing one frame of one slice",
            lambda ctx: ["perfusion", str(_dicom4d(ctx, "frame")), "--out", str(ctx.out)],
            "incomplete",
        )
    )

    # --- no partial output when a later step fails
    def truth_mismatch(ctx: Ctx) -> list[str]:
        ds = _one_case(ctx)
        truth = ctx.inp / "truth"
        truth.mkdir()
        write_nifti(truth / "case_1.nii.gz", np.zeros((3, 3, 3), np.uint8), Geometry((3, 3, 3), (1, 1, 1)))
        return _threshold(ctx, ds, "--truth", str(truth))

    add(Entry("partial output", "threshold --truth on another grid", truth_mismatch, "differs from the truth"))

    def truth_bad_values(ctx: Ctx) -> list[str]:
        ds = _one_case(ctx)
        truth = ctx.inp / "truth"
        truth.mkdir()
        write_nifti(truth / "case_1.nii.gz", np.full((2, 64, 64), 7, np.uint8), Geometry((2, 64, 64), (3, 3, 5)))
        return _threshold(ctx, ds, "--truth", str(truth))

    add(Entry("partial output", "threshold --truth with label 7", truth_bad_values, "case_1.nii.gz"))

    def resume_other_recipe(ctx: Ctx) -> list[str]:
        shutil.copytree(ctx.assets / "model", ctx.out)
        return _train(ctx, "--resume", "--set", "seed=5")

    add(Entry("partial output", "train --resume with another recipe", resume_other_recipe, "seed", pre_out=True))

    def resume_run_json(ctx: Ctx, text: str) -> list[str]:
        shutil.copytree(ctx.assets / "model", ctx.out)
        (ctx.out / "run.json").write_text(text, encoding="utf-8")
        return _train(ctx, "--resume")

    for what, text in (("a list", "[1, 2]"), ("a recipe that is a number", '{"recipe": 5, "data": "x", "cases": []}')):
        add(
            Entry(
                "partial output",
                f"train --resume whose run.json is {what}",
                functools.partial(resume_run_json, text=text),
                "run.json",
                pre_out=True,
            )
        )

    def resume_other_data(ctx: Ctx) -> list[str]:
        shutil.copytree(ctx.assets / "model", ctx.out)
        ds = ctx.asset("ph")
        shutil.rmtree(ds / "case_3")
        return _train(ctx, "--resume", data=ds)

    add(Entry("partial output", "train --resume with other data", resume_other_data, "dataset differs", pre_out=True))

    def threshold_done(ctx: Ctx) -> list[str]:
        from strokeseg.cli import main

        args = _threshold(ctx, _one_case(ctx))
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0
        return args

    add(
        Entry(
            "partial output",
            "threshold --resume with another rCBF threshold",
            lambda ctx: [*threshold_done(ctx), "--resume", "--rcbf", "0.38"],
            "rcbf",
            pre_out=True,
        )
    )
    add(
        Entry(
            "partial output",
            "predict --resume on a threshold run's folder",
            lambda ctx: (threshold_done(ctx), _predict(ctx, None, "--resume"))[1],
            "'threshold' run",
            pre_out=True,
        )
    )

    # --- the preprocessing cache is untrusted input: every entry attacked after a clean run, the result unchanged
    for kind in ("tampered", "forged MAC", "FIFO", "wrong shape", "symlink out"):
        add(
            Entry(
                "cache",
                f"every cache entry {kind} (predict)",
                functools.partial(_cache_attack, kind=kind),
                cache=True,
                code=0,
                check=_same_prediction,
            )
        )

    # --- DICOM out: the reference series is checked before anything is written
    for what, edit, names, code in (
        ("without SOPInstanceUID", lambda ds: delattr(ds, "SOPInstanceUID"), "SOPInstanceUID", 2),
        ("holding two series", None, "2 series", 2),
        ("without FrameOfReferenceUID (a new one, with a note)", lambda ds: delattr(ds, "FrameOfReferenceUID"), "", 0),
        ("that is a file, not a folder", "file", "not a folder", 2),
        ("that is an empty folder", "empty", "no DICOM image", 2),
    ):
        add(Entry("dicom out", f"--dicom-reference {what}", functools.partial(_dicom_reference, edit=edit), names, code=code))

    # --- executors
    add(Entry("executors", "--jobs 0", lambda ctx: _threshold(ctx, _one_case(ctx), "--executor", "local", "--jobs", "0"), "jobs"))
    add(Entry("executors", "--executor slurm", lambda ctx: _threshold(ctx, _one_case(ctx), "--executor", "slurm"), "executor"))
    add(
        Entry(
            "executors",
            "--scheduler without the dask executor",
            lambda ctx: _threshold(ctx, _one_case(ctx), "--executor", "local", "--scheduler", "tcp://127.0.0.1:8786"),
            "dask executor",
        )
    )

    # --- symbolic links inside --out never lead a write outside it
    def case_link(ctx: Ctx, flag: str) -> list[str]:
        from strokeseg.cli import main

        args = _threshold(ctx, _one_case(ctx))
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0
        outside = ctx.root / "elsewhere"
        shutil.move(str(ctx.out / "case_1"), outside)  # the snapshot proves it stays untouched
        (ctx.out / "case_1").symlink_to(outside)
        return [*args, flag]

    add(
        Entry(
            "symlinks",
            "--resume where a case folder is a link out of --out",
            functools.partial(case_link, flag="--resume"),
            "outside the output folder",
            pre_out=True,
        )
    )
    add(
        Entry(
            "symlinks", "--overwrite where a case folder is a link out of --out", functools.partial(case_link, flag="--overwrite"), code=0
        )
    )

    def report_link(ctx: Ctx) -> list[str]:
        from strokeseg.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            assert main(_threshold(ctx, _one_case(ctx))) == 0
        outside = ctx.root / "elsewhere"
        outside.mkdir()
        (outside / "index.html").write_text("precious\n", encoding="utf-8")
        (ctx.out / "report").symlink_to(outside)
        return ["report", str(ctx.out)]

    add(Entry("symlinks", "report where report/ is a link out of the run folder", report_link, "outside the output folder", pre_out=True))
    return E


_LOCKS: list[int] = []


def _far_map(ctx: Ctx, shift_mm: float) -> Path:
    ds = _manifest(ctx, ["c1,ct.nii.gz,cbf.nii.gz,tmax.nii.gz"])
    far = Geometry(GEOM.shape, GEOM.spacing, origin=(GEOM.origin[0], GEOM.origin[1] + shift_mm, GEOM.origin[2]))
    write_nifti(ds / "cbf.nii.gz", image(seed=3), far)
    return ds


def _dicom(ctx: Ctx, defect: str) -> list[str]:
    from strokeseg.io.dicom import write_dicom_series

    g = Geometry((4, 16, 16), (1.0, 1.0, 5.0))
    folder = write_dicom_series(ctx.inp / "dcm", np.full((4, 16, 16), 40.0, np.float32), g)
    files = sorted(folder.glob("*.dcm"))
    if defect == "unreadable":
        files[1].write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 64)
    elif defect == "truncated":
        files[2].write_bytes(files[2].read_bytes()[:300])
    elif defect == "duplicate":
        shutil.copy(files[1], folder / "IM00099.dcm")
    elif defect == "missing":
        files[2].unlink()
    elif defect == "empty_position":
        import pydicom

        ds = pydicom.dcmread(files[1])
        ds.ImagePositionPatient = None
        ds.save_as(files[1])
    elif defect in ("zero_spacing", "lying_rows"):
        import pydicom

        for f in files:
            ds = pydicom.dcmread(f)
            if defect == "zero_spacing":
                ds.PixelSpacing = [0, 0]
            else:
                ds.Rows = 9999
            ds.save_as(f)
    return ["info", str(folder)]


def _dicom_export(ctx: Ctx, series: str | None) -> list[str]:
    """One study holding two series described as CBF, in one flat folder: ``threshold`` on it (with ``--series``)."""
    from pydicom.uid import generate_uid

    from strokeseg.io.dicom import SeriesHeaders, write_dicom_series

    g = Geometry((2, 16, 16), (1.0, 1.0, 5.0))
    study, folder = generate_uid(), ctx.inp / "export"
    for prefix, desc in (("a", "RAPID CBF"), ("b", "CBF vendor 2")):
        write_dicom_series(folder, np.full(g.shape, 40.0, np.float32), g, headers=SeriesHeaders(desc, "P1", study, prefix=prefix))
    return ["threshold", str(folder), "--out", str(ctx.out), *(["--series", series] if series else [])]


def _dicom4d(ctx: Ctx, defect: str) -> Path:
    from strokeseg.io.dicom import write_dicom_series

    g = Geometry((4, 16, 16), (1.0, 1.0, 5.0))
    data = np.repeat(np.full((4, 16, 16), 40.0, np.float32)[..., None], 12, axis=-1)
    folder = write_dicom_series(ctx.inp / "dcm4d", data, g, frame_times=np.arange(12) * 1.5)
    files = sorted(folder.glob("*.dcm"))
    doomed = [f for i, f in enumerate(files) if i % 4 == 2] if defect == "position" else [files[6]]
    for f in doomed:
        f.unlink()
    return folder


def _cache_attack(ctx: Ctx, kind: str) -> list[str]:
    """A clean ``predict`` fills ``ctx.cache`` (and leaves the reference result beside it); then every entry in it
    is attacked: its arrays changed under the stored MAC, a forged MAC, a FIFO, arrays of the wrong shape, or a
    link to a file outside the cache."""
    from strokeseg.cli import main

    args = _predict(ctx, ctx.asset("model_sym"))  # its symmetric channels come from the cache
    ref = ctx.cache.parent / f"{ctx.cache.name}-ref"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main([*args[:-2], "--out", str(ref)]) == 0
    entries = sorted(ctx.cache.rglob("*.npz"))
    assert entries, "the clean run left no cache entry to attack"
    victim = ctx.root / "victim.npz"  # inside the snapshot: it must stay as it is
    victim.write_bytes(b"precious")
    for e in entries:
        with np.load(e) as f:
            arrays = {k: f[k] for k in f.files}
        e.unlink()
        if kind == "FIFO":
            os.mkfifo(e)
        elif kind == "symlink out":
            e.symlink_to(victim)
        elif kind == "forged MAC":
            np.savez(
                e, **{k: (v + 1 if v.dtype.kind == "f" else v) for k, v in arrays.items() if k != "__hmac__"}, __hmac__=np.asarray("0" * 64)
            )
        else:
            edit = (lambda v: v + 0.34) if kind == "tampered" else (lambda v: v[..., :1])
            np.savez(e, **{k: (edit(v) if v.dtype.kind == "f" and v.ndim else v) for k, v in arrays.items()})
    return args


def _same_prediction(ctx: Ctx) -> list[str]:
    """The attacked cache changed nothing: probabilities and labels equal the clean run's."""
    import nibabel as nib

    ref = ctx.cache.parent / f"{ctx.cache.name}-ref"
    out = []
    for f in sorted(ref.glob("*/*.nii.gz")):
        mine = ctx.out / f.relative_to(ref)
        if not mine.exists() or not np.array_equal(np.asarray(nib.load(str(f)).dataobj), np.asarray(nib.load(str(mine)).dataobj)):
            out.append(f"{f.name} differs from the clean run's")
    return out or ([] if any(ref.glob("*/*.nii.gz")) else ["the clean run wrote no prediction"])


def _dicom_reference(ctx: Ctx, edit: Callable[[Any], None] | str | None) -> list[str]:
    """``threshold --report --dicom-reference REF``: REF the case's grid as a CT series, edited."""
    import pydicom

    from strokeseg.io.case import load_case
    from strokeseg.io.dicom import write_dicom_series
    from strokeseg.io.layouts import open_dataset

    ds = _one_case(ctx)
    case = load_case(open_dataset(ds).cases[0])
    ref = ctx.inp / "ref"
    if edit == "empty":
        ref.mkdir(parents=True)
    else:
        write_dicom_series(ref, case.images["CT"], case.geometry)
    if edit is None:  # a second series (another SeriesInstanceUID) in the same folder
        from pydicom.uid import generate_uid

        series = generate_uid()
        for f in sorted(ref.glob("*.dcm")):
            d = pydicom.dcmread(f)
            d.SeriesInstanceUID, d.SOPInstanceUID = series, generate_uid()
            d.save_as(ref / f"x{f.name}")
    elif callable(edit):
        for f in sorted(ref.glob("*.dcm")):
            d = pydicom.dcmread(f)
            edit(d)
            d.save_as(f)
    target = next(ref.glob("*.dcm")) if edit == "file" else ref
    return _threshold(ctx, ds, "--report", "--dicom-reference", str(target))


ENTRIES = _entries()


# ------------------------------------------------------------------ checking one entry
def _digest(p: Path) -> str:
    """A file's content hash; links and special files (a FIFO would block a read) by what they are."""
    import stat

    try:
        st = p.lstat()
        if stat.S_ISLNK(st.st_mode):
            return f"link:{os.readlink(p)}"
        if not stat.S_ISREG(st.st_mode):
            return f"special:{stat.S_IFMT(st.st_mode):o}"
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _snapshot(root: Path, skip: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, files in os.walk(root):
        d = Path(dirpath)
        if d == skip or skip in d.parents:
            dirnames[:] = []
            continue
        for f in files:
            p = d / f
            out[str(p.relative_to(root))] = _digest(p)
        for sub in dirnames:
            if d / sub != skip:
                out[str((d / sub).relative_to(root)) + "/"] = "dir"
    return out


def _tree(path: Path) -> dict[str, str]:
    if not path.exists():
        return {"": "absent"}
    if path.is_symlink() or not path.is_dir():
        return {"": _digest(path)}
    return _snapshot(path, path / "\0never")


def run_entry(entry: Entry, root: Path, assets: Path) -> tuple[int, str, str, list[str]]:
    """Build and run one entry in ``root``; returns (code, stdout, stderr, defects)."""
    ctx = Ctx(root, assets)
    root.mkdir(parents=True, exist_ok=True)
    env = (*entry.env, *((("STROKESEG_CACHE", str(ctx.cache)),) if entry.cache else ()))
    saved_env = {k: os.environ.get(k) for k, _ in env}
    os.environ.update(dict(env))
    try:
        return _run_built(entry, ctx, entry.build(ctx))
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_built(entry: Entry, ctx: Ctx, argv: list[str]) -> tuple[int, str, str, list[str]]:
    from strokeseg.cli import main

    root = ctx.root
    before = _snapshot(root.parent, ctx.out)
    out_before = _tree(ctx.out)
    stdout, stderr = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
    except BaseException as exc:
        code = -1
        stderr.write(f"Traceback (escaped main): {type(exc).__name__}: {exc}\n")
    finally:
        os.chdir(cwd)
        while _LOCKS:
            os.close(_LOCKS.pop())
        if ctx.out.exists() and ctx.out.is_dir():
            ctx.out.chmod(0o755)
    err, out = stderr.getvalue(), stdout.getvalue()
    defects = []
    if code != entry.code:
        defects.append(f"exit {code}, expected {entry.code}")
    if "Traceback" in err or "Traceback" in out:
        defects.append("traceback")
    want = entry.names(ctx) if callable(entry.names) else entry.names
    if entry.code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if len(lines) != 1 or not lines[0].startswith("strokeseg: error: "):
            defects.append(f"{len(lines)} stderr lines, not one 'strokeseg: error:' line")
        if want and want not in err:
            defects.append(f"message does not name {want!r}")
    elif entry.code == 1:  # `info`: the problem is listed on stdout, one PROBLEM line naming the file
        problems = [ln for ln in out.splitlines() if "PROBLEM" in ln]
        if not problems or (want and not any(want in ln for ln in problems)):
            defects.append(f"no PROBLEM line naming {want!r}")
    after = _snapshot(root.parent, ctx.out)
    if after != before:
        changed = sorted(set(after.items()) ^ set(before.items()))
        defects.append(f"changed outside --out: {changed[:2]}")
    if Path("/tmp/strokeseg-abs-case").exists() or Path("/x_label.nii.gz").exists():
        defects.append("wrote at an absolute path")
    if entry.code != 0 and _tree(ctx.out) != out_before:
        defects.append("partial output in --out")
    if (root / "pwned").exists():
        defects.append("executed a payload")
    if entry.check is not None and code == 0:
        defects += entry.check(ctx)
    return code, out, err, defects


def run_all(work: Path, entries: list[Entry] | None = None) -> list[tuple[Entry, list[str]]]:
    assets = build_assets(work / "assets")
    results = []
    for i, e in enumerate(entries or ENTRIES):
        *_, defects = run_entry(e, work / f"e{i:03d}" / "case", assets)
        results.append((e, defects))
    return results


__all__ = ["ENTRIES", "Entry", "build_assets", "run_all", "run_entry", "struct"]
