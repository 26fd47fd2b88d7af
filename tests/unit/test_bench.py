"""The benchmark harness's arithmetic: wrk's line read back, medians, ratios, targets, invalid runs."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from scripts.bench import loadgen, report
from scripts.bench.report import Sample

pytestmark = pytest.mark.unit


def test_the_lua_script_counts_every_answer_outside_2xx_and_prints_one_line():
    script = loadgen.lua_script("POST", None)
    assert "if status < 200 or status >= 300 then bad = bad + 1 end" in script
    assert 'wrk.method = [==[POST]==]' in script
    assert f'"{loadgen.MARK} %d %d %d %d %d %d %d %d %d %d %d\\n"' in script


def test_the_body_file_is_read_by_the_script():
    script = loadgen.lua_script("POST", "/tmp/x y/body.json")
    assert "local body_file = [==[/tmp/x y/body.json]==]" in script


def test_wrk_line_becomes_a_load_with_every_error_summed():
    output = "Running 10s test\n" + loadgen.MARK + " 50000 10000000 900 1500 2500 9000 3 1 2 4 5\nbye\n"
    load = loadgen.parse(output)
    assert (load.requests, load.seconds, load.p50_ms, load.p90_ms, load.p99_ms, load.max_ms) == (
        50000, 10.0, 0.9, 1.5, 2.5, 9.0)
    assert load.errors == 3 + 1 + 2 + 4 + 5
    assert load.rps == 5000.0


def test_the_status_line_gives_the_count_of_each_status_and_the_socket_errors_by_kind():
    output = (loadgen.MARK + " 60 10000000 900 1500 2500 9000 10 1 2 0 0\n"
              + loadgen.STATUS_MARK + " 503:7 200:50 404:3\n")
    load = loadgen.parse(output)
    assert load.statuses == {200: 50, 404: 3, 503: 7}
    assert list(load.statuses) == [200, 404, 503]
    assert load.socket_errors == {"connect": 1, "read": 2, "write": 0, "timeout": 0}


def test_a_paced_script_waits_between_requests_and_an_unpaced_one_does_not():
    assert "function delay() return 12.5 end" in loadgen.lua_script("POST", None, delay_ms=12.5)
    assert "delay" not in loadgen.lua_script("POST", None)


@pytest.mark.parametrize("output", ["", "Requests/sec: 5000\n", loadgen.MARK + " 1 2 3\n"])
def test_a_run_without_the_scripts_line_is_refused(output):
    with pytest.raises(ValueError, match="no STOPLINE_BENCH line"):
        loadgen.parse(output)


def sample(target, scenario, rps, p99=1.0, errors=0, rows=1, round_=1, rss=100.0):
    return Sample(target, scenario, round_, rows, rps, p99 / 2, p99, errors, rss, 100.0)


def test_runs_are_medians_over_rounds_with_errors_summed_and_the_peak_rss():
    samples = [sample("stopline", "v2-1000", rps, p99, errors, rows=1000, round_=i, rss=rss)
               for i, (rps, p99, errors, rss) in enumerate([(500, 9.0, 0, 101), (700, 5.0, 2, 99), (600, 7.0, 0, 100)])]
    [run] = report.runs(samples)
    assert (run["rps"], run["rows_per_s"], run["p99_ms"], run["errors"], run["rss_mb"]) == (600, 600_000, 7.0, 2, 101)
    assert [r["rps"] for r in run["rounds"]] == [500, 700, 600]


def full_table(stopline_1=20_000.0, live=21_000.0, rows_1000=1000.0):
    samples = [
        sample("stopline", "health-live", live), sample("stopline", "predict-1", stopline_1, p99=2.0),
        sample("stopline", "v2-1", stopline_1, p99=2.0), sample("stopline", "predict-100", 100, rows=100),
        sample("stopline", "v2-100", 100, rows=100), sample("stopline", "v2-1000", rows_1000, rows=1000),
        sample("mlserver", "v2-1", 1000.0, p99=40.0), sample("mlserver", "v2-100", 50, rows=100),
        sample("mlserver", "v2-1000", 100.0, rows=1000),
    ]
    return report.runs(samples)


STARTS = {"stopline": {"start_s": 1.0, "idle_rss_mb": 100.0}, "mlserver": {"start_s": 6.0, "idle_rss_mb": 230.0}}


def test_every_target_met():
    ratios, verdicts = report.check(full_table(), STARTS)
    assert [v["met"] for v in verdicts] == [True] * len(report.TARGETS)
    assert ratios["single-row /predict req/s over MLServer's"] == 20.0
    assert ratios["single-row /predict p99 over MLServer's"] == 0.05
    assert ratios["1,000-row V2 rows/s over MLServer's"] == 10.0
    assert ratios["100-row V2 rows/s over MLServer's"] == 2.0
    assert ratios["start to ready over MLServer's"] == round(1 / 6, 4)


def test_a_missed_target_is_named():
    _, verdicts = report.check(full_table(stopline_1=12_000.0, rows_1000=400.0), STARTS)
    missed = [v["target"] for v in verdicts if not v["met"]]
    assert missed == ["single-row /predict req/s over MLServer's", "single-row V2 req/s over MLServer's",
                      "/predict req/s over /health/live's", "1,000-row V2 rows/s",
                      "1,000-row V2 rows/s over MLServer's"]


def test_the_table_shows_each_run_and_each_verdict():
    table = full_table()
    _, verdicts = report.check(table, STARTS)
    text = report.table_text(table, STARTS, verdicts)
    assert "| stopline | v2-1000 | 1,000 | 1,000,000 | 0.50 | 1.00 | 0 | 100 | 100 |" in text
    assert "| idle RSS (MB) | 100 | < 150 | yes |" in text


def test_each_run_names_its_server_and_configuration():
    [run] = report.runs([sample("mlserver-batching", "v2-1", 2000.0)])
    assert (run["target"], run["key"]) == ("mlserver", "mlserver-batching")
    assert run["config"] == "parallel_workers 0, adaptive batching: max_batch_size 16, max_batch_time 2 ms"


def test_the_batching_peer_is_compared_beside_the_targets_when_it_was_measured():
    table = full_table() + report.runs([sample("mlserver-batching", "v2-1", 2000.0, p99=100.0),
                                        sample("mlserver-batching", "v2-1000", 200.0, rows=1000)])
    ratios, verdicts = report.check(table, STARTS)
    assert ratios["single-row /predict req/s over batching MLServer's"] == 10.0
    assert ratios["single-row /predict p99 over batching MLServer's"] == 0.02
    assert ratios["1,000-row V2 rows/s over batching MLServer's"] == 5.0
    text = report.table_text(table, STARTS, verdicts, ratios)
    assert "| mlserver, adaptive batching | v2-1 | 2,000 |" in text
    assert "| single-row /predict req/s over batching MLServer's | 10 |" in text
    without = full_table()
    assert "over batching" not in report.table_text(without, STARTS, verdicts, report.check(without, STARTS)[0])


def test_the_service_without_its_access_log_is_compared_beside_the_targets_when_it_was_measured():
    table = full_table() + report.runs([sample("stopline-quiet", "predict-1", 25_000.0, p99=1.0),
                                        sample("stopline-quiet", "v2-1", 16_000.0)])
    ratios, verdicts = report.check(table, STARTS)
    assert ratios["single-row /predict req/s over MLServer's, neither writing access logs"] == 25.0
    assert ratios["single-row /predict p99 over MLServer's, neither writing access logs"] == 0.025
    assert ratios["single-row V2 req/s over MLServer's, neither writing access logs"] == 16.0
    assert [v["value"] for v in verdicts] == [v["value"] for v in report.check(full_table(), STARTS)[1]]
    assert "| stopline, no access log | predict-1 | 25,000 |" in report.table_text(table, STARTS, verdicts, ratios)


class FakeWatch:
    """servers.PeakRss with a made-up stall: the next one from `stalls` each time it is entered."""

    def __init__(self, stalls):
        self.stalls = stalls

    def __call__(self, pid):
        self.stalled_s, self.peak_mb = self.stalls.pop(0), 90.0
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.mark.parametrize(("stalls", "errors", "runs", "counted_errors"), [
    ([0.0], [0], 1, 0),                       # clean: measured once
    ([0.1], [16], 1, 16),                     # errors, the machine ran on: they stand (invalid)
    ([6.4, 0.0], [16, 0], 2, 0),              # errors while the machine stalled: measured again
    ([6.4, 6.4, 6.4], [16, 16, 16], 3, 16),   # stalled every time: the errors stand after the last try
])
def test_errors_while_the_machine_stalled_are_measured_again_and_no_others(
        monkeypatch, stalls, errors, runs, counted_errors):
    from scripts.bench import run, servers

    loads = [loadgen.Load(requests=1000, seconds=10.0, p50_ms=1, p90_ms=2, p99_ms=3, max_ms=4, errors=n)
             for e in errors for n in (0, e)]  # each try: a clean warm-up, then the counted run
    counted = []
    monkeypatch.setattr(loadgen, "run", lambda *a: counted.append(a) or loads.pop(0))
    monkeypatch.setattr(servers, "PeakRss", FakeWatch(list(stalls)))
    monkeypatch.setattr(servers, "cpu_seconds", lambda pid: 0.0)
    process = SimpleNamespace(pid=1)
    running = servers.Running(servers.Target("stopline", [], Path("."), {}, 1, "/"), process, 0.0)  # type: ignore
    sample = run.measure(running, "v2-1", Path("x.lua"), 10.0, 3.0, 16, 1)
    assert len(counted) == 2 * runs
    assert sample.errors == counted_errors
