"""The plugin's promises, proven by running pytest inside pytest (pytester)."""

import json
import re
import textwrap

import pytest

pytestmark = pytest.mark.component

# One module per stage, named so that file order is the reverse of stage order.
STAGE_FILES = {
    "test_a_smoke.py": "smoke",
    "test_b_model.py": "model",
    "test_c_component.py": "component",
    "test_d_unit.py": "unit",
    "test_e_lint.py": "lint",
}


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    pytester.makeconftest('pytest_plugins = ["pytest_stopline.plugin"]')
    return pytester


def write_stages(pytester, failing=()):
    for name, stage in STAGE_FILES.items():
        body = f"""
            import pytest
            pytestmark = pytest.mark.{stage}

            def test_{stage}_first():
                assert {stage!r} not in {tuple(failing)!r}

            def test_{stage}_second():
                pass
        """
        pytester.makepyfile(**{name[:-3]: textwrap.dedent(body)})


def report_of(pytester):
    return json.loads((pytester.path / "reports" / "pipeline.json").read_text())


def ran(result):
    """Give the names of the tests in the order `-v` reported them."""
    return [m[1] for line in result.outlines if (m := re.match(r"\S+::(\S+) (PASSED|FAILED|ERROR)", line))]


def test_stages_run_in_stage_order_whatever_the_file_order(project):
    write_stages(project)
    result = project.runpytest("-v")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines([
        "*stage 1/7: lint (2 tests)*", "test_e_lint.py::test_lint_first PASSED*",
        "*stage 2/7: unit (2 tests)*", "test_d_unit.py::test_unit_first PASSED*",
        "*stage 3/7: component (2 tests)*", "test_c_component.py::test_component_first PASSED*",
        "*stage 4/7: model (2 tests)*", "test_b_model.py::test_model_first PASSED*",
        "*stage 6/7: smoke (2 tests)*", "test_a_smoke.py::test_smoke_first PASSED*",
        "PASSED lint, unit, component, model, smoke; not deployed: build, deploy did not run",
    ])


def test_an_unmarked_test_is_a_collection_error_naming_it(project):
    project.makepyfile(test_plain="def test_forgot_its_stage():\n    pass\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_plain.py::test_forgot_its_stage: needs exactly one stage marker*, has none"])
    report = report_of(project)
    assert report["status"] == "failed"
    assert "test_plain.py::test_forgot_its_stage" in report["error"]


def test_a_test_with_two_stages_is_a_collection_error_naming_both(project):
    project.makepyfile(test_two="""
        import pytest
        pytestmark = pytest.mark.unit

        @pytest.mark.model
        def test_greedy():
            pass
    """)
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_two.py::test_greedy: needs exactly one stage marker*has unit, model"])


def test_without_x_a_failed_stage_finishes_and_no_later_stage_runs(project):
    write_stages(project, failing=("unit",))
    result = project.runpytest("-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=3, failed=1)  # lint 2, unit 1 + 1 failed; nothing after
    result.stdout.no_fnmatch_line("*test_c_component.py*")
    result.stdout.fnmatch_lines([
        "*stopped the line at stage 'unit' (1 failed); not run: component, model, smoke*",
    ])
    report = report_of(project)
    assert report["status"] == "failed"
    assert report["stopped_at"] == "unit"
    assert [(s["name"], s["status"], s["tests"], s["failed"]) for s in report["stages"]] == [
        ("lint", "passed", 2, 0), ("unit", "failed", 2, 1), ("component", "not_run", 2, 0),
        ("model", "not_run", 2, 0), ("smoke", "not_run", 2, 0),
    ]
    assert report["stages"][2]["reason"] == "not run: the line stopped at stage 'unit'"


def test_with_x_the_line_stops_at_the_first_failure(project):
    write_stages(project, failing=("component",))
    result = project.runpytest("-x")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=4, failed=1)
    report = report_of(project)
    assert report["stopped_at"] == "component"
    assert [s["status"] for s in report["stages"]] == ["passed", "passed", "failed", "not_run", "not_run"]
    assert report["stages"][2]["first_failure"] == (
        "test_c_component.py::test_component_first (call): "
        "AssertionError: assert 'component' not in ('component',)"
    )
    result.stdout.fnmatch_lines(["LINE STOPPED at stage 'component': test_c_component.py::test_component_first*"
                                 "; not run: model, smoke"])


def test_a_failing_fixture_stops_the_line_like_a_failing_test(project):
    project.makepyfile(test_setup="""
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("no engine")

        @pytest.mark.build
        def test_needs_it(broken):
            pass

        @pytest.mark.smoke
        def test_later():
            pass
    """)
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    assert [(s["name"], s["status"]) for s in report_of(project)["stages"]] == [("build", "failed"),
                                                                                ("smoke", "not_run")]


def test_a_stage_of_only_skipped_tests_is_not_reported_as_passed(project):
    project.makepyfile(test_skip="""
        import pytest
        pytestmark = pytest.mark.smoke

        def test_skipped():
            pytest.skip("no engine")
    """)
    result = project.runpytest()
    result.assert_outcomes(skipped=1)
    report = report_of(project)
    assert report["status"] == "failed"
    assert report["stages"][0]["status"] == "not_run"
    result.stdout.fnmatch_lines(["NOT DEPLOYABLE: stage(s) smoke verified nothing (every test skipped)"])


def test_selecting_a_stage_by_marker_reports_only_that_stage(project):
    write_stages(project)
    result = project.runpytest("-m", "unit")
    result.assert_outcomes(passed=2)
    report = report_of(project)
    assert report["status"] == "passed"
    assert [s["name"] for s in report["stages"]] == ["unit"]


def test_the_markdown_summary_is_written_and_appended_to_github_step_summary(project, monkeypatch):
    summary = project.path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_stages(project, failing=("model",))
    project.runpytest()
    markdown = (project.path / "reports" / "pipeline.md").read_text()
    assert "| model | failed | 2 | 1 |" in markdown
    assert "| smoke | not_run | 2 | 0 |" in markdown
    assert summary.read_text() == "earlier step\n" + markdown


def test_flake8_items_belong_to_the_lint_stage(project):
    project.makepyfile(test_style="""
        import pytest
        import os
        pytestmark = pytest.mark.unit

        def test_fine():
            pass
    """)
    result = project.runpytest("--flake8", "-m", "lint", "test_style.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*F401 'os' imported but unused*"])
    assert report_of(project)["stopped_at"] == "lint"


def test_conftests_hear_when_a_stage_finishes_and_whether_all_of_it_ran(project):
    project.makeconftest("""
        pytest_plugins = ["pytest_stopline.plugin"]

        def pytest_stopline_stage_finished(session, stage, status, complete):
            with open("finished.log", "a") as log:
                log.write(f"{stage} {status} {complete}\\n")
    """)
    write_stages(project, failing=("component",))
    project.runpytest()
    project.runpytest("-k", "first", "-m", "unit")
    # -x stops inside the stage (its first test fails): the stage still finishes, failed.
    project.runpytest("-x")
    assert (project.path / "finished.log").read_text().splitlines() == [
        "lint passed True", "unit passed True", "component failed True",
        "unit passed False",
        "lint passed True", "unit passed True", "component failed True",
    ]


def test_figures_recorded_by_tests_reach_the_report(project):
    project.makepyfile(test_figure="""
        import pytest

        @pytest.mark.build
        def test_measures(record_property):
            record_property("image_mb_over_base", 162.7)
    """)
    project.runpytest()
    assert report_of(project)["stages"][0]["figures"] == {"image_mb_over_base": 162.7}
    assert "| build | image_mb_over_base | 162.7 |" in (project.path / "reports" / "pipeline.md").read_text()


def test_an_own_order_mark_orders_a_test_within_its_stage_only(project):
    project.makepyfile(test_a_smoke="""
        import pytest
        pytestmark = pytest.mark.smoke

        def test_smoke_plain():
            pass

        @pytest.mark.order("first")
        def test_smoke_wants_to_run_first():
            pass
    """, test_b_unit="""
        import pytest
        pytestmark = pytest.mark.unit

        @pytest.mark.order(-1)
        def test_unit_last():
            pass

        def test_unit_plain():
            pass

        @pytest.mark.order(1)
        def test_unit_second():
            pass

        @pytest.mark.order(0)
        def test_unit_first():
            pass
    """, test_c_lint="""
        import pytest

        @pytest.mark.lint
        @pytest.mark.order("last")
        def test_lint_wants_to_run_last():
            pass

        @pytest.mark.lint
        def test_lint_plain():
            pass
    """)
    result = project.runpytest("-v")
    result.assert_outcomes(passed=8)
    assert ran(result) == [
        "test_lint_plain", "test_lint_wants_to_run_last",
        "test_unit_first", "test_unit_second", "test_unit_plain", "test_unit_last",
        "test_smoke_wants_to_run_first", "test_smoke_plain",
    ]


def test_before_and_after_are_kept_within_a_stage_and_along_the_line(project):
    write_stages(project)
    project.makepyfile(test_f_unit="""
        import pytest
        pytestmark = pytest.mark.unit

        @pytest.mark.order(after="test_unit_b")
        def test_unit_a():
            pass

        def test_unit_b():
            pass

        @pytest.mark.order(after="test_e_lint.py::test_lint_second", before="test_a_smoke.py::test_smoke_first")
        def test_unit_along_the_line():
            pass
    """)
    result = project.runpytest("-v", "-m", "lint or unit or smoke")
    result.assert_outcomes(passed=9)
    assert ran(result) == [
        "test_lint_first", "test_lint_second",
        "test_unit_first", "test_unit_second", "test_unit_b", "test_unit_a", "test_unit_along_the_line",
        "test_smoke_first", "test_smoke_second",
    ]


@pytest.mark.parametrize("mark, option, first, then", [
    ('@pytest.mark.order(before="test_e_lint.py::test_lint_first")', (),
     "test_f_unit.py::test_unit_pushy (unit)", "test_e_lint.py::test_lint_first (lint)"),
    # pytest-order then sorts within each file and keeps the file order, smoke first.
    ("", ("--order-scope=module",),
     "test_a_smoke.py::test_smoke_second (smoke)", "test_b_model.py::test_model_first (model)"),
], ids=["before-a-lint-test", "order-scope-module"])
def test_ordering_a_test_against_the_stage_order_is_a_usage_error(project, mark, option, first, then):
    write_stages(project)
    project.makepyfile(test_f_unit=f"""
        import pytest

        @pytest.mark.unit
        {mark}
        def test_unit_pushy():
            pass
    """)
    result = project.runpytest(*option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = f"stopline: {first} would run before {then}: an order mark orders a test within its stage only; "
    result.stderr.fnmatch_lines([f"ERROR: {message}*"])
    result.assert_outcomes()
    assert report_of(project)["error"].startswith(message.removeprefix("stopline: "))


def test_without_pytest_order_the_line_refuses_to_run(project):
    write_stages(project)
    result = project.runpytest("-p", "no:pytest_order")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: stopline: pytest-order carries out the stage order, but it is not active*"])


def test_a_repository_may_describe_a_stage_in_its_own_words(project):
    project.makeini("""
        [pytest]
        markers =
            model: fit and gate the forecaster
    """)
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.model: fit and gate the forecaster", "@pytest.mark.unit: stage 2 —*"])
    result.stdout.no_fnmatch_line("@pytest.mark.model: stage 4*")


def test_a_conftest_may_give_a_whole_folder_its_stage_while_collecting(project):
    checks = project.mkdir("checks")
    (checks / "conftest.py").write_text("def pytest_itemcollected(item):\n    item.add_marker('lint')\n")
    (checks / "test_style.py").write_text("def test_clean():\n    pass\n")
    project.makepyfile(test_logic="import pytest\n\n\n@pytest.mark.unit\ndef test_sums():\n    pass\n")
    result = project.runpytest()
    result.assert_outcomes(passed=2)
    assert [(s["name"], s["tests"]) for s in report_of(project)["stages"]] == [("lint", 1), ("unit", 1)]
