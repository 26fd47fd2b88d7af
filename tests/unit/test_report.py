import pytest

from pytest_stopline.report import StageResult, build_report, to_markdown, verdict

pytestmark = pytest.mark.unit


def stage(name, **counts):
    return StageResult(name, **counts)


def test_a_stage_passes_only_when_something_ran_and_nothing_failed():
    assert stage("unit", tests=2, passed=2).status == "passed"
    assert stage("unit", tests=2, passed=1, failed=1).status == "failed"
    assert stage("unit", tests=2, skipped=2).status == "not_run"
    assert stage("unit", tests=2).status == "not_run"


def test_report_names_the_stop_and_marks_later_stages_not_run():
    report = build_report(
        [stage("lint", tests=3, passed=3, seconds=0.5), stage("unit", tests=2, passed=1, failed=1),
         stage("model", tests=4)],
        stopped_at="unit",
        git_sha="abc",
        first_failure={"unit": "tests/unit/test_x.py::test_y (call): assert 1 == 2"},
    )
    assert report["status"] == "failed"
    assert report["stopped_at"] == "unit"
    assert [(s["name"], s["status"]) for s in report["stages"]] == [
        ("lint", "passed"), ("unit", "failed"), ("model", "not_run"),
    ]
    assert report["stages"][2]["reason"] == "not run: the line stopped at stage 'unit'"
    assert verdict(report) == (
        "LINE STOPPED at stage 'unit': tests/unit/test_x.py::test_y (call): assert 1 == 2; not run: model"
    )


def test_only_every_stage_passing_passes_and_the_verdict_names_what_was_deployed():
    names = ("lint", "unit", "component", "model", "build", "smoke", "deploy")
    every = build_report([stage(n, tests=1, passed=1) for n in names], stopped_at=None, git_sha=None,
                         first_failure={})
    assert every["status"] == "passed"
    assert verdict(every) == "PASSED: every stage passed"
    released = stage("deploy", tests=1, passed=1, figures={"deployed": "r/stopline@sha256:ab (model 12ab)"})
    deployed = build_report([*(stage(n, tests=1, passed=1) for n in names[:-1]), released], stopped_at=None,
                            git_sha=None, first_failure={})
    assert verdict(deployed) == "DEPLOYED r/stopline@sha256:ab (model 12ab)"
    some = build_report([stage(n, tests=1, passed=1) for n in names[:4]], stopped_at=None, git_sha=None,
                        first_failure={})
    assert some["status"] == "passed"
    assert verdict(some) == "PASSED lint, unit, component, model; not deployed: build, smoke, deploy did not run"


def test_an_all_skipped_stage_fails_the_run():
    report = build_report([stage("smoke", tests=3, skipped=3)], stopped_at=None, git_sha=None, first_failure={})
    assert report["status"] == "failed"
    assert verdict(report) == "NOT DEPLOYABLE: stage(s) smoke verified nothing (every test skipped)"


def test_markdown_has_one_row_per_stage_and_the_verdict():
    report = build_report(
        [stage("lint", tests=3, passed=3, seconds=1.234)], stopped_at=None, git_sha="0123456789abcdef", first_failure={}
    )
    markdown = to_markdown(report)
    assert "## stopline pipeline — passed (0123456789ab)" in markdown
    assert "| lint | passed | 3 | 0 | 1.23 |" in markdown
    assert markdown.rstrip().endswith(
        "**PASSED lint; not deployed: unit, component, model, build, smoke, deploy did not run**"
    )
