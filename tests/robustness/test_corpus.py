"""Every entry of the hostile-input corpus keeps the promise (see ``tests/robustness/corpus.py``)."""

from __future__ import annotations

import pytest

from tests.robustness.corpus import ENTRIES, run_entry

pytestmark = pytest.mark.slow


def test_the_corpus_covers_every_category_with_at_least_60_inputs():
    cats = {e.category for e in ENTRIES}
    assert len(ENTRIES) >= 60
    assert {
        "untrusted code",
        "paths",
        "output folder",
        "geometry",
        "sizes",
        "encodings",
        "bundles",
        "recipes",
        "options",
        "images",
        "dicom in",
        "dicom out",
        "partial output",
        "reports",
        "environment",
        "cache",
        "executors",
        "symlinks",
    } <= cats


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.category}: {e.name}" for e in ENTRIES])
def test_bad_input_keeps_the_promise(entry, corpus_assets, tmp_path):
    code, out, err, defects = run_entry(entry, tmp_path / "case", corpus_assets)
    assert not defects, f"{defects}\nexit {code}\nstdout: {out[-800:]}\nstderr: {err[-1500:]}"
