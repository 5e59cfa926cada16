"""``strokeseg compare``: known per-case values give known means, sds, fold means and SciPy's paired p;
runs on other cases or folds are refused by name."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from strokeseg.errors import InputError
from strokeseg.evaluation.compare import compare_runs, read_run
from strokeseg.evaluation.runner import rows_to_csv

CASES = [f"c{i}" for i in range(8)]
FOLDS = [["c0", "c1", "c2", "c3"], ["c4", "c5", "c6", "c7"]]


def _rows(dice, cases=CASES, region="core"):
    return [
        {
            "case_id": c,
            "group": "",
            "region": region,
            "dice": d,
            "hd95": 10 * (1 - d),
            "abs_vol_diff_ml": 5 * (1 - d),
            "lesion_f1": d,
            "failure": False,
        }
        for c, d in zip(cases, dice)
    ]


def _bundle(tmp_path, name, dice, folds=FOLDS, cases=CASES):
    (tmp_path / name / "cv").mkdir(parents=True)
    (tmp_path / name / "cv" / "per_case.csv").write_text(rows_to_csv(_rows(dice, cases)))
    (tmp_path / name / "cv" / "folds.json").write_text(json.dumps({"folds": folds}), encoding="utf-8")
    return tmp_path / name


def _evaluation(tmp_path, name, dice):
    (tmp_path / name).mkdir()
    (tmp_path / name / "per_case.csv").write_text(rows_to_csv(_rows(dice)))
    return tmp_path / name


A = np.array([0.50, 0.62, 0.71, 0.40, 0.83, 0.55, 0.66, 0.77])
B = A + np.array([0.05, 0.02, 0.08, 0.01, 0.03, 0.06, 0.04, 0.07])


def test_means_sds_folds_and_paired_p(tmp_path):
    runs = [read_run(_bundle(tmp_path, "a", A)), read_run(_bundle(tmp_path, "b", B)), read_run(_evaluation(tmp_path, "thr", A[::-1]))]
    res = compare_runs(runs)
    core = res["regions"]["core"]["methods"]
    assert core["a"]["dice"]["cases"]["mean"] == pytest.approx(A.mean())
    assert core["a"]["dice"]["cases"]["sd"] == pytest.approx(A.std(ddof=1))
    fold_means = [A[:4].mean(), A[4:].mean()]
    assert core["a"]["dice"]["per_fold"] == pytest.approx(fold_means)
    assert core["a"]["dice"]["folds"]["sd"] == pytest.approx(np.std(fold_means, ddof=1))
    assert core["b"]["dice"]["p_vs_reference"] == pytest.approx(stats.wilcoxon(B, A).pvalue)
    assert "p_vs_reference" not in core["a"]["dice"]
    # the evaluation folder (no folds of its own) is summarised on the bundles' folds
    assert core["thr"]["dice"]["per_fold"] == pytest.approx([A[::-1][:4].mean(), A[::-1][4:].mean()])
    t = compare_runs(runs, reference="b", test="ttest")["regions"]["core"]["methods"]["a"]["hd95"]["p_vs_reference"]
    assert t == pytest.approx(stats.ttest_rel(10 * (1 - A), 10 * (1 - B)).pvalue)


def test_other_cases_or_folds_are_refused_by_name(tmp_path):
    a = read_run(_bundle(tmp_path, "a", A))
    other_cases = read_run(_bundle(tmp_path, "b", A, cases=[*CASES[:7], "x9"], folds=[CASES[:4], [*CASES[4:7], "x9"]]))
    with pytest.raises(InputError, match="different core cases"):
        compare_runs([a, other_cases])
    other_folds = read_run(_bundle(tmp_path, "c", A, folds=[CASES[::2], CASES[1::2]]))
    with pytest.raises(InputError, match="other folds"):
        compare_runs([a, other_folds])


def test_each_region_compares_the_methods_that_scored_it(tmp_path):
    core_only = read_run(_bundle(tmp_path, "core_only", A))
    three = []
    for name, d in (("x", A), ("y", B)):
        (tmp_path / name / "cv").mkdir(parents=True)
        rows = _rows(d) + _rows(d[::-1], region="penumbra")
        (tmp_path / name / "cv" / "per_case.csv").write_text(rows_to_csv(rows), encoding="utf-8")
        (tmp_path / name / "cv" / "folds.json").write_text(json.dumps({"folds": FOLDS}), encoding="utf-8")
        three.append(read_run(tmp_path / name))
    res = compare_runs([core_only, *three])
    assert list(res["regions"]["core"]["methods"]) == ["core_only", "x", "y"]
    pen = res["regions"]["penumbra"]
    assert list(pen["methods"]) == ["x", "y"] and pen["reference"] is None
    assert "p_vs_reference" not in pen["methods"]["y"]["dice"]  # the reference did not score the penumbra
    assert pen["methods"]["y"]["dice"]["cases"]["mean"] == pytest.approx(B.mean())
    from strokeseg.evaluation.compare import comparison_markdown

    md = comparison_markdown(res)
    assert (
        "## penumbra (8 cases)" in md
        and "| core_only |" in md.split("## penumbra")[0]
        and "| core_only |" not in md.split("## penumbra")[1]
    )
    # with a three-class reference the penumbra gets its p values
    assert "p_vs_reference" in compare_runs([core_only, *three], reference="x")["regions"]["penumbra"]["methods"]["y"]["dice"]


def test_cli_writes_json_markdown_and_plot(cli, tmp_path):
    a, b = _bundle(tmp_path, "a", A), _bundle(tmp_path, "b", B)
    code, _, err = cli("compare", f"mine={a}", b, "--out", tmp_path / "cmp", "--reference", "mine")
    assert code == 0, err
    res = json.loads((tmp_path / "cmp" / "comparison.json").read_text(encoding="utf-8"))
    assert res["methods"] == ["mine", "b"] and res["reference"] == "mine"
    assert (tmp_path / "cmp" / "comparison.png").stat().st_size > 1000
    md = (tmp_path / "cmp" / "comparison.md").read_text(encoding="utf-8")
    assert "| mine |" in md and "Dice per fold" in md
    html = (tmp_path / "cmp" / "comparison.html").read_text(encoding="utf-8")
    assert 'src="comparison.png"' in html and "<td>mine</td>" in html and "ref." in html and "http" not in html.split("</style>")[1]
    assert not math.isnan(res["regions"]["core"]["methods"]["b"]["dice"]["p_vs_reference"])


def test_a_bundle_whose_paper_backbone_started_random_says_so_first(tmp_path):
    from strokeseg.evaluation.compare import comparison_markdown
    from strokeseg.models.registry import RANDOM_INIT_NOTE

    rand = _bundle(tmp_path, "psp", A)
    (rand / "bundle.json").write_text(
        json.dumps({"meta": {"pretrained": {"pretrained": False, "note": RANDOM_INIT_NOTE}}}), encoding="utf-8"
    )
    warm = _bundle(tmp_path, "psp-voc", B)
    (warm / "bundle.json").write_text(json.dumps({"meta": {"pretrained": {"pretrained": True, "file": "voc.pth"}}}), encoding="utf-8")
    res = compare_runs([read_run(rand), read_run(warm)])
    assert res["notes"] == {"psp": RANDOM_INIT_NOTE}
    assert comparison_markdown(res).splitlines()[0] == f"**psp: {RANDOM_INIT_NOTE}.**"
    from strokeseg.report.compare_page import comparison_page

    html = comparison_page(res, tmp_path).read_text(encoding="utf-8")
    assert html.index("not the paper&#39;s method") < html.index("<table")
