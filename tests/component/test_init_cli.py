"""`python -m service.train.init` as a person runs it: the file it drafts, what it says, what it refuses."""

import subprocess
import sys
import tomllib

import pytest

from service.train import init
from service.train.config import load_config
from tests.paths import ROOT

pytestmark = pytest.mark.component

PUMPS = """Record ID,Flow (l/min),Status,Model,Count
P-1,31.6,ok,NA,0
P-2,34.5,needs service,B 200,3
P-3,,ok,A-100,1
P-4,69.4,replace now,C/300,3
P-5,50.0,needs service,A-100,2
P-6,44.1,replace now,B 200,0
P-7,29.9,ok,C/300,1
P-8,40.0,needs service,A-100,2
"""
ENERGY = """id,Temp (°C),Insulation,kWh
1,-5.5,good,310.2
2,0.0,poor,402.8
3,4.5,good,250.0
4,10.0,poor,298.4
5,15.5,good,180.6
6,20.0,poor,201.0
7,7.75,NA,275.5
8,12.25,poor,260.1
"""
RANGES = ("  - Number ranges are the data's lowest and highest values, widened by 10% of the span on each side "
          "(never below 0 where no value is negative) and rounded outward; set them to what is plausible.")
IGNORED = "  - ignored: a column listed there is no feature; remove it from ignored_columns if it is one"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    # The default --out is ./stopline.toml: a test that forgets --out must not touch the checkout's.
    monkeypatch.chdir(tmp_path)


def run(capsys, *args):
    status = init.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def uncomment_checks(text):
    """The drafted file with its example check uncommented, as a person would."""
    head, mark, example = text.partition("# [checks.records]")
    return head + "\n".join(line.removeprefix("#").removeprefix(" ") for line in (mark + example).split("\n"))


def test_a_classification_csv_drafts_a_file_the_loader_takes(tmp_path, capsys):
    data = tmp_path / "Pump Log.csv"
    data.write_text(PUMPS, encoding="utf-8")
    (tmp_path / "project").mkdir()
    out = tmp_path / "project" / "stopline.toml"
    assert run(capsys, "--data", data, "--target", " Status ", "--out", out) == (0, "\n".join([
        f"{data}: 8 rows, 5 columns",
        "task: classification, target 'Status': it holds text ('ok')",
        "classes: ['needs service', 'ok', 'replace now']",
        "features:",
        "  'Flow (l/min)': number in [25.0, 74.0] (data: 29.9 to 69.4), nullable",
        "  'Model': category, 3 values ['A-100', 'B 200', 'C/300'], nullable",
        "  'Count': number in [0.0, 3.3] (data: 0.0 to 3.0)",
        "ignored: 'Record ID' (a different value in every row: an ID, not a feature)",
        "review:",
        RANGES,
        IGNORED,
        "  - gate: min_macro_f1 = 0.8, min_accuracy = 0.8, max_log_loss = 1.0 (the log-loss of guessing by class "
        "shares, rounded down: a model must beat it), max_regression = 0.01: drafted defaults; set what the model "
        "must reach",
        "  - checks: none declared; an example from row 2 is commented out at the end of the file",
        f"wrote {out}",
        "",
    ]), "")
    assert sorted(p.name for p in out.parent.iterdir()) == ["stopline.toml"]  # no temporary file left
    text = out.read_text(encoding="utf-8")
    assert tomllib.loads(text)["data"] == "../Pump Log.csv"
    why = '# "Record ID": a different value in every row: an ID, not a feature\nignored_columns = ["Record ID"]\n'
    assert why in text
    # The loader is the judge of the format: every drafted setting must survive it unchanged.
    config = load_config(out)
    assert (config.name, config.data.resolve(), config.task, config.target) == (
        "pump-log", data, "classification", "Status")
    assert (config.classes, config.ignored_columns, config.seed) == (("needs service", "ok", "replace now"),
                                                                     ("Record ID",), 0)
    assert config.input_schema.names == ("Flow (l/min)", "Model", "Count")
    assert config.model.params() == {"estimator": "logistic_regression", "C": 1.0, "max_iter": 1000}
    assert config.gate.thresholds() == {"min_accuracy": 0.8, "min_macro_f1": 0.8, "max_log_loss": 1.0}
    out.write_text(uncomment_checks(text), encoding="utf-8")
    checks = load_config(out).checks
    assert checks.records == {"row 2": {"Flow (l/min)": 34.5, "Model": "B 200", "Count": 3.0}}
    assert [(c.name, c.record, c.label) for c in checks.minimum] == [
        ("row 2 is predicted as in the data", "row 2", "needs service")]


def test_a_regression_csv_drafts_a_file_the_loader_takes(tmp_path, capsys):
    data = tmp_path / "Energy Use.csv"
    data.write_text(ENERGY, encoding="utf-8")
    out = tmp_path / "stopline.toml"
    assert run(capsys, "--data", data, "--target", "kWh", "--out", out) == (0, "\n".join([
        f"{data}: 8 rows, 4 columns",
        "task: regression, target 'kWh': it holds numbers, 8 distinct",
        "target range in the data: 180.6 to 402.8, standard deviation 64.51",
        "features:",
        # Unique in every row, yet a feature: fractional numbers are measurements, not an ID.
        "  'Temp (°C)': number in [-9.0, 23.0] (data: -5.5 to 20.0)",
        "  'Insulation': category, 2 values ['good', 'poor'], nullable",
        "ignored: 'id' (a different value in every row: an ID, not a feature)",
        "review:",
        RANGES,
        IGNORED,
        "  - gate: min_r2 = 0.5 (the model explains half the target's variance: holdout RMSE at most about 0.71 × "
        "its standard deviation), max_regression = 0.01: drafted defaults; set what the model must reach",
        "  - checks: none declared; an example from row 1 is commented out at the end of the file",
        f"wrote {out}",
        "",
    ]), "")
    text = out.read_text(encoding="utf-8")
    assert "classes" not in tomllib.loads(text)
    config = load_config(out)
    assert (config.name, config.data, config.task, config.target) == ("energy-use", data, "regression", "kWh")
    assert (config.classes, config.ignored_columns) == ((), ("id",))
    assert [(f.name, f.kind, f.nullable) for f in config.input_schema.features] == [
        ("Temp (°C)", "number", False), ("Insulation", "category", True)]
    assert config.model.params() == {"estimator": "ridge", "alpha": 1.0}
    assert config.gate.thresholds() == {"min_r2": 0.5}
    out.write_text(uncomment_checks(text), encoding="utf-8")
    checks = load_config(out).checks
    assert [(c.record, c.min, c.max) for c in checks.minimum] == [("row 1", 180.0, 440.0)]


def test_awkward_names_are_written_as_valid_toml_the_loader_takes(tmp_path, capsys):
    data = tmp_path / "Weird Name's #1 (v2).csv"
    data.write_text('"say ""hi""",C:\\path,Ünïcödé 名前,"Label ""L"""\n1,a,x,"yes ""really"""\n2,b,x,no\\way\n'
                    '1,a,y,no\\way\n2,b,y,"yes ""really"""\n', encoding="utf-8")
    out = tmp_path / "stopline.toml"
    assert run(capsys, "--data", data, "--target", 'Label "L"', "--out", out)[0] == 0
    config = load_config(out)
    assert (config.name, config.target, config.classes) == ("weird-name-s-1-v2", 'Label "L"',
                                                            ("no\\way", 'yes "really"'))
    assert config.input_schema.names == ('say "hi"', "C:\\path", "Ünïcödé 名前")


def test_the_task_can_be_chosen_over_the_inferred_one(tmp_path, capsys):
    data = tmp_path / "energy.csv"
    data.write_text(ENERGY, encoding="utf-8")
    status, out, err = run(capsys, "--data", data, "--target", "Temp (°C)", "--task", "classification")
    assert (status, err) == (0, "")
    assert out.splitlines()[1:3] == ["task: classification, target 'Temp (°C)': as --task says",
                                     "classes: ['-5.5', '0.0', '4.5', '7.75', '10.0', '12.25', '15.5', '20.0']"]


def test_regression_on_a_text_target_exits_1_naming_the_column(tmp_path, capsys):
    data = tmp_path / "pumps.csv"
    data.write_text(PUMPS, encoding="utf-8")
    assert run(capsys, "--data", data, "--target", "Status", "--task", "regression") == (1, "", (
        f"{data}: regression needs a numeric target, but column 'Status' holds text ('ok' in row 1)\n"))
    assert [p.name for p in tmp_path.iterdir()] == ["pumps.csv"]


def test_an_existing_file_is_kept_unless_forced(tmp_path, capsys):
    data = tmp_path / "pumps.csv"
    data.write_text(PUMPS, encoding="utf-8")
    out = tmp_path / "stopline.toml"
    out.write_text("keep me", encoding="utf-8")
    assert run(capsys, "--data", data, "--target", "Status", "--out", out) == (
        1, "", f"{out}: already exists; pass --force (make init FORCE=1) to replace it\n")
    assert out.read_text(encoding="utf-8") == "keep me"
    status, stdout, _ = run(capsys, "--data", data, "--target", "Status", "--out", out, "--force")
    assert (status, stdout.splitlines()[-1]) == (0, f"wrote {out}")
    assert load_config(out).name == "pumps"


def test_the_data_file_is_never_the_output(tmp_path, capsys):
    data = tmp_path / "pumps.csv"
    data.write_text(PUMPS, encoding="utf-8")
    assert run(capsys, "--data", data, "--target", "Status", "--out", data, "--force") == (
        1, "", f"{data}: is the data file; choose another --out\n")
    assert data.read_text(encoding="utf-8") == PUMPS


@pytest.mark.parametrize(
    ("content", "target", "message"),
    [
        (b"", "y", "the file is empty"),
        (b"x,y\n", "y", "the header has no data rows under it"),
        (b"x,y\n1,a\n2,b\n", "z", "target column 'z' is not in the header; the columns are ['x', 'y']"),
        (b"x,y\n1,a\n2,a\n", "y", "target column 'y' has one class ('a'); classification needs two or more"),
        (b"x,y\n1,\n2,NA\n", "y", "target column 'y' is blank in every row"),
        (b"x,w,y\n1,,a\n2,NA,b\n", "y", "column 'w' is blank in every row"),
        (b"x,y\n1,a\n2,\xe9\n", "y", "line 3: byte offset 10 is not UTF-8"),
        (b"x,y\n1,a\n2,b,3\n", "y", "row 2 (line 3): 3 fields, the header has 2"),
        (b"x,y,x\n1,a,1\n", "y", "header: column 'x' appears 2 times"),
    ],
)
def test_bad_data_exits_1_naming_the_file_and_the_fault_and_writes_nothing(tmp_path, capsys, content, target,
                                                                           message):
    data = tmp_path / "data.csv"
    data.write_bytes(content)
    assert run(capsys, "--data", data, "--target", target, "--out", tmp_path / "stopline.toml") == (
        1, "", f"{data}: {message}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


def test_a_missing_data_file_exits_1_naming_it(tmp_path, capsys):
    data = tmp_path / "nowhere.csv"
    assert run(capsys, "--data", data, "--target", "y", "--out", tmp_path / "stopline.toml") == (
        1, "", f"{data}: cannot read the file: No such file or directory\n")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    data = tmp_path / "pumps.csv"
    data.write_text(PUMPS, encoding="utf-8")

    def full_disk(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(init.os, "replace", full_disk)
    out = tmp_path / "stopline.toml"
    assert run(capsys, "--data", data, "--target", "Status", "--out", out) == (
        1, "", f"{out}: cannot write the file: No space left on device\n")
    assert [p.name for p in tmp_path.iterdir()] == ["pumps.csv"]


def test_the_module_runs_as_a_command(tmp_path):
    data = tmp_path / "pumps.csv"
    data.write_text(PUMPS, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "service.train.init", "--data", str(data), "--target", "Status"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PYTHONUTF8": "1"})
    assert (done.returncode, done.stderr, done.stdout.splitlines()[-1]) == (0, "", "wrote stopline.toml")
    assert tomllib.loads((tmp_path / "stopline.toml").read_text(encoding="utf-8"))["data"] == "pumps.csv"
