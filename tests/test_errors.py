"""Errors name the parameters they ask the user to set as data (``Param`` in a ``Message``): a Python caller
reads the parameter's name, the command line its flag, and no text is parsed to tell the two apart."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from strokeseg.cli.flags import flag_of
from strokeseg.cli.parser import build_parser
from strokeseg.errors import WITH_OVERWRITE, InputError, Message, Param

SRC = Path(__file__).resolve().parents[1] / "src" / "strokeseg"


def test_a_message_names_its_parameters_for_python_and_for_the_command_line():
    msg = Message("labels 7 are not canonical; ", Param("label_map"), " to map them")
    assert str(msg) == "labels 7 are not canonical; set 'label_map' to map them"
    assert msg.render(flag_of) == "labels 7 are not canonical; pass --label-map to map them"
    assert msg.params == ("label_map",)
    valued = Message("cannot tell CT from MR; ", Param("modality", takes_value=True), " ct or mr")
    assert str(valued) == "cannot tell CT from MR; set 'modality' to ct or mr"
    assert valued.render(flag_of) == "cannot tell CT from MR; pass --modality ct or mr"
    # a scoped name (nnU-Net's folds are not the bundles' folds) and a fixed value
    scoped = Message(Param("folds", verb="", scope="nnunet"), " and ", Param("backend", verb="", value="nnunetv2"))
    assert str(scoped) == "'folds' and backend='nnunetv2'"
    assert scoped.render(flag_of) == "--nnunet-folds and --backend nnunetv2"
    assert Message("train anew ", WITH_OVERWRITE).render(flag_of) == "train anew with --overwrite"


def test_an_error_keeps_its_path_and_parameters():
    err = InputError(Message("contains NaN; fix the file or ", Param("nonfinite", takes_value=True), " zero"), "/data/a.nii.gz")
    assert str(err) == "/data/a.nii.gz: contains NaN; fix the file or set 'nonfinite' to zero"
    assert err.render(flag_of) == "/data/a.nii.gz: contains NaN; fix the file or pass --nonfinite zero"
    assert err.params == ("nonfinite",)
    plain = InputError("not a NIfTI file", "/data/b.txt")
    assert plain.params == () and plain.render(flag_of) == str(plain)


def _cli_flags() -> set[str]:
    parser = build_parser()
    flags = {s for a in parser._actions for s in a.option_strings}
    for action in parser._actions:
        for sub in (getattr(action, "choices", None) and isinstance(action.choices, dict) and action.choices.values()) or ():
            flags |= {s for a in sub._actions for s in a.option_strings}
    return {f for f in flags if f.startswith("--") and f not in ("--help", "--version", "--debug")}


def _raised_texts(tree: ast.AST):
    """Every string literal inside a ``raise …Error(…)`` (f-strings' literal parts included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for sub in ast.walk(node.exc):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    yield sub.lineno, sub.value


def test_no_library_error_spells_a_parameter_or_a_flag_in_its_text():
    """Outside ``cli/``, a raised error's text holds no command-line flag and no ``set 'name'``: such words are
    ``Param`` data, so that a Python caller is not told about flags and the CLI parses no message."""
    flags = _cli_flags()
    assert {"--label-map", "--overwrite", "--nnunet-labels", "--fuse"} <= flags  # the parser was read
    flag_re = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, flags), key=len, reverse=True)) + r")(?![\w-])")
    quoted = re.compile(r"\b(set|with|without|use) '[a-z_]+'")
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts:
            continue
        for line, text in _raised_texts(ast.parse(path.read_text(encoding="utf-8"))):
            if flag_re.search(text) or quoted.search(text):
                found.append(f"{path.relative_to(SRC)}:{line}: {text[:80]!r}")
    assert not found, "\n".join(found)


def test_an_error_from_a_worker_process_keeps_its_parameters():
    """Case errors travel from worker processes (``--jobs``, Dask) by pickle: the parameters stay data."""
    import pickle

    err = InputError(Message("labels 7 are not canonical; ", Param("label_map"), " to map them"), "/d/c1.nii.gz")
    back = pickle.loads(pickle.dumps(err))
    assert back.params == ("label_map",) and back.path == err.path
    assert back.render(flag_of) == "/d/c1.nii.gz: labels 7 are not canonical; pass --label-map to map them"
