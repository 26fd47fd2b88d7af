"""Drafting a project from a CSV, the pure part: reading, each inference rule, and the TOML written."""

import tomllib

import pytest

from service.train.draft import CategoryColumn, NumberColumn, draft, feature
from service.train.csv_text import DraftError, Table, decode, read_table
from service.train.draft_rules import (
    classification_gate,
    infer_task,
    is_id,
    plausible_range,
    project_name,
    regression_bounds,
    sort_labels,
)
from service.train.draft_toml import inline_table, render, toml_array, toml_string, toml_value

pytestmark = pytest.mark.unit

AWKWARD = [
    'say "hi"', "C:\\path\\to", "it's", "tab\there", "new\nline", "cr\rlf", "\x00\x01\x1f\x7f", "\b\f",
    "Ünïcödé 名前 ☕", "line\u2028sep", "next\x85line", "#not a comment", "[not] = a table", "", "\\u0041",
]


def refusal(call, *args, **kwargs):
    with pytest.raises(DraftError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


# --- Reading the file


def test_a_byte_order_mark_is_dropped_and_bad_bytes_are_placed_in_the_file():
    assert decode("\ufeffa,b\n1,é\n".encode()) == "a,b\n1,é\n"
    assert refusal(decode, b"a,b\n1,2\n3,\xff\n") == "line 3: byte offset 10 is not UTF-8"
    # The offset counts the byte-order mark: it is a position in the file as it is on disk.
    assert refusal(decode, b"\xef\xbb\xbfa,b\n1,\xff\n") == "line 2: byte offset 9 is not UTF-8"


def test_cells_and_names_are_stripped_of_surrounding_whitespace_only():
    assert read_table(' Flow Rate (l/min) ,"  Site "\r\n 1.5 , North  Yard \r\n') == Table(
        header=("Flow Rate (l/min)", "Site"), rows=(("1.5", "North  Yard"),)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        (" \n\n", "the file is empty"),
        ("a,b\n", "the header has no data rows under it"),
        ("a,b,a\n1,2,3\n", "header: column 'a' appears 2 times"),
        ("a, ,b\n1,2,3\n", "header: column 2 has no name"),
        ('a,b\n1,2\n"x\ny",2,3\n', "row 2 (line 4): 3 fields, the header has 2"),
        ("a,b\n1,2\n\n", "row 2 (line 3): 0 fields, the header has 2"),
    ],
)
def test_a_malformed_file_is_refused_at_its_first_fault(text, message):
    assert refusal(read_table, text) == message


# --- The rules


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (29.9, 69.4, (25.0, 74.0)),  # 10% of 39.5 each side, rounded outward to whole numbers
        (-5.0, 5.0, (-6.0, 6.0)),  # negative values: no floor at 0
        (20.5, 179.0, (0.0, 200.0)),  # 20.5 - 15.85 would be 4.65; no value is negative, so 0 is the floor
        (0.5, 100.5, (0.0, 120.0)),  # a span of 100 rounds to tens
        (2700.0, 6300.0, (2300.0, 6700.0)),
        (0.001, 0.005, (0.0006, 0.0054)),
        (3.0, 3.0, (2.7, 3.3)),  # a constant: 10% of its value each side
        (-3.0, -3.0, (-3.3, -2.7)),
        (0.0, 0.0, (0.0, 0.1)),  # a constant 0: 10% of 1
    ],
)
def test_a_number_range_is_the_data_widened_by_a_tenth_of_its_span(low, high, expected):
    assert plausible_range(low, high) == expected


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["ok", "1", "ok"], ("classification", "it holds text ('ok')")),
        (["0", "1", "1", "0"], ("classification", "it holds 2 whole-number values")),
        (["1.0", "2.0", "3"], ("classification", "it holds 3 whole-number values")),
        ([str(i) for i in range(10)], ("classification", "it holds 10 whole-number values")),
        ([str(i) for i in range(11)], ("regression", "it holds numbers, 11 distinct")),
        (["0.5", "1.5", "0.5"], ("regression", "it holds numbers, 2 distinct")),
        (["1", "2", "nan"], ("classification", "it holds text ('nan')")),  # not finite: not a number
    ],
)
def test_the_task_follows_the_target(labels, expected):
    assert infer_task(labels) == expected


@pytest.mark.parametrize(
    ("cells", "rows", "expected"),
    [
        (["P-1", "P-2", "P-3"], 3, True),
        (["7", "3", "12"], 3, True),
        (["7.0", "3", "12"], 3, True),  # whole numbers written as floats are still a counter
        (["7.5", "3.25", "12.0"], 3, False),  # continuous measurements are unique by chance
        (["P-1", "P-2"], 3, False),  # a blank row: not an ID of every row
        (["1", "1.0", "2"], 3, False),  # the same number twice
        (["a", "b", "a"], 3, False),
    ],
)
def test_an_id_is_filled_and_different_in_every_row_with_text_or_whole_numbers(cells, rows, expected):
    assert is_id(cells, rows) is expected


def test_labels_sort_by_value_when_all_are_numbers_else_by_code_point():
    assert sort_labels({"10", "2", "1"}) == ("1", "2", "10")
    assert sort_labels({"b", "B", "a", "10", "2"}) == ("10", "2", "B", "a", "b")


def test_the_classification_gate_caps_log_loss_at_guessing_by_class_shares():
    assert classification_gate(["a", "b"]) == {  # ln 2 = 0.693, rounded down to two significant digits
        "min_macro_f1": 0.8, "min_accuracy": 0.8, "max_log_loss": 0.69, "max_regression": 0.01}
    assert classification_gate(list("aaabbbcc"))["max_log_loss"] == 1.0  # 1.082
    assert classification_gate(list("aaaaaaaaab"))["max_log_loss"] == 0.32  # 0.325


def test_an_example_regression_check_allows_two_standard_deviations():
    assert regression_bounds(310.2, 64.51) == {"min": 180.0, "max": 440.0}


@pytest.mark.parametrize(
    ("stem", "name"),
    [("pumps", "pumps"), ("My Pumps (2024)", "my-pumps-2024"), ("Données_brutes v1.2", "donnees_brutes-v1.2"),
     (".hidden", "hidden"), ("名前", "project"), ("--A--", "a")],
)
def test_the_model_name_comes_from_the_file_stem(stem, name):
    assert project_name(stem) == name


def test_category_and_number_features_carry_their_review_notes():
    assert feature("n", ["3", "3"], nullable=False) == (
        NumberColumn("n", 2.7, 3.3, (3.0, 3.0), False), ["the same value in every row (3.0): it cannot help the model"])
    assert feature("c", ["x", "x"], nullable=True) == (
        CategoryColumn("c", ("x",), True), ["the same value in every row ('x'): it cannot help the model"])
    assert feature("c", ["b", "a", "c", "a"], nullable=False) == (CategoryColumn("c", ("a", "b", "c"), False), [
        "3 distinct values in 4 filled rows (more than 50, or fewer than 2 rows each): hard to learn as a category; "
        "consider ignoring it"])
    assert feature("c", ["1", "2", "n/a", "1", "2", "n/a", "3", "3"], nullable=False)[1] == [
        "mostly numbers, but 'n/a' is not: if it means no value, add it to missing_values and declare a number feature"]


# --- The draft

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


def test_a_classification_draft_has_every_inferred_field():
    project = draft(read_table(PUMPS), "Status")
    assert (project.rows, project.target, project.task, project.why) == (8, "Status", "classification",
                                                                         "it holds text ('ok')")
    assert project.classes == ("needs service", "ok", "replace now")
    assert project.target_seen is None
    assert project.features == (
        NumberColumn("Flow (l/min)", 25.0, 74.0, (29.9, 69.4), True),
        CategoryColumn("Model", ("A-100", "B 200", "C/300"), True),
        NumberColumn("Count", 0.0, 3.3, (0.0, 3.0), False),
    )
    assert project.ignored == {"Record ID": "a different value in every row: an ID, not a feature"}
    assert project.flags == ()
    assert project.gate == {"min_macro_f1": 0.8, "min_accuracy": 0.8, "max_log_loss": 1.0, "max_regression": 0.01}
    assert project.model == {"estimator": "logistic_regression", "C": 1.0, "max_iter": 1000}
    # Row 1 lacks a Model and row 3 a Flow: the example is the first row with every feature filled.
    assert (project.example_row, project.example, project.example_check) == (
        2, {"Flow (l/min)": 34.5, "Model": "B 200", "Count": 3.0}, {"label": "needs service"})


def test_a_regression_draft_has_the_target_range_and_the_ridge_default():
    project = draft(read_table("x,y\n1.5,10\n2.5,12\n3.5,20\n4.5,14\n"), "y", task="regression")
    assert (project.task, project.why, project.classes) == ("regression", "as --task says", ())
    assert project.target_seen == (10.0, 20.0, 3.7416573867739413)
    assert project.gate == {"min_r2": 0.5, "max_regression": 0.01}
    assert project.model == {"estimator": "ridge", "alpha": 1.0}
    assert project.example_check == {"min": 2.5, "max": 17.5}  # 10 ± 7.48, rounded outward to 0.1


def test_lone_classes_and_a_dominant_class_are_flagged_on_the_target():
    project = draft(read_table("x,y\n" + "1,a\n" * 9 + "2,b\n3,c\n"), "y")
    assert project.flags == (
        ("y", "class 'b' has 1 row; holding one of each class out needs 2"),
        ("y", "class 'c' has 1 row; holding one of each class out needs 2"),
        ("y", "class 'a' holds 82% of the rows: always answering it passes min_accuracy = 0.8, "
              "so min_macro_f1 is the floor that counts"),
    )


@pytest.mark.parametrize(
    ("text", "target", "task", "message"),
    [
        ("a,b\n1,x\n", "B", None, "target column 'B' is not in the header; the columns are ['a', 'b']"),
        ("a,b\n1,\n2,NA\n", "a", None, "column 'b' is blank in every row"),
        ("a,b\n1,\n2,NA\n", "b", None, "target column 'b' is blank in every row"),
        ("a,b\n1,x\n2,\n3,y\n4,NA\n", "b", None,
         "target column 'b' is blank in 2 row(s), the first is row 2: a model cannot learn from them; "
         "fill or drop those rows"),
        ("a,b\n1,x\n2,x\n", "b", None, "target column 'b' has one class ('x'); classification needs two or more"),
        ("a,b\n1,3\n2,3\n", "b", None, "target column 'b' has one class ('3'); classification needs two or more"),
        ("a,b\n1,2.5\n2,2.5\n", "b", None, "target column 'b' holds one value ('2.5'); regression needs it to vary"),
        ("a,b\n1,2.5\n2,2.5\n", "b", "regression",
         "target column 'b' holds one value ('2.5'); regression needs it to vary"),
        ("a,b\n1,2\n2,x\n", "b", "regression",
         "regression needs a numeric target, but column 'b' holds text ('x' in row 2)"),
        ("a,b\n1,x\n2,y\n", "b", None, "no feature columns besides the target 'b'; ['a'] look like IDs"),
        ("b\nx\ny\n", "b", None, "no feature columns besides the target 'b'"),
        ("a\tb,y\n1,x\n1,y\n", "y", None,
         "column 'a\\tb': a feature name must be 1 to 64 printable characters; rename it in the header"),
        (f"a,y\n1,x\n1,{'z' * 65}\n", "y", None,
         f"target column 'y': label '{'z' * 65}' cannot be a class name (1 to 64 printable characters, "
         "no surrounding space)"),
    ],
)
def test_data_that_cannot_make_a_project_is_refused_naming_the_column(text, target, task, message):
    assert refusal(draft, read_table(text), target, task) == message


# --- The TOML


@pytest.mark.parametrize("text", AWKWARD)
def test_any_string_round_trips_through_toml(text):
    assert tomllib.loads(f"key = {toml_string(text)}\n{toml_string(text)} = 1") == {"key": text, text: 1}


def test_strings_are_escaped_as_toml_basic_strings():
    assert toml_string('a"b\\c\n\t\x01\x7fé') == '"a\\"b\\\\c\\n\\t\\u0001\\u007Fé"'


def test_values_arrays_and_inline_tables_are_toml_literals():
    literals = [toml_value(v) for v in (25.0, 1e-05, 1e16, 1000, True, "x")]
    assert literals == ["25.0", "1e-05", "1e+16", "1000", "true", '"x"']
    assert toml_array(["a", 1.5]) == '["a", 1.5]'
    assert toml_array(["x" * 60, "y" * 60]) == f'[\n    "{"x" * 60}",\n    "{"y" * 60}",\n]'
    assert inline_table({'a "b"': 1.0, "c": ""}) == '{ "a \\"b\\"" = 1.0, "c" = "" }'


def test_the_rendered_file_reads_back_as_the_draft():
    project = draft(read_table(PUMPS), "Status")
    assert tomllib.loads(render(project, "pumps", "../data/pumps.csv")) == {
        "name": "pumps", "data": "../data/pumps.csv", "task": "classification", "target": "Status",
        "classes": ["needs service", "ok", "replace now"], "missing_values": ["", "NA"],
        "ignored_columns": ["Record ID"], "seed": 0, "holdout_fraction": 0.25,
        "model": {"estimator": "logistic_regression", "C": 1.0, "max_iter": 1000},
        "gate": {"min_macro_f1": 0.8, "min_accuracy": 0.8, "max_log_loss": 1.0, "max_regression": 0.01},
        "schema": {"features": [
            {"name": "Flow (l/min)", "kind": "number", "min": 25.0, "max": 74.0, "nullable": True},
            {"name": "Model", "kind": "category", "categories": ["A-100", "B 200", "C/300"], "nullable": True},
            {"name": "Count", "kind": "number", "min": 0.0, "max": 3.3},
        ]},
    }


def uncommented_checks(text):
    """The commented-out example at the end of a drafted file, as a person would uncomment it."""
    lines = text.splitlines()
    start = lines.index("# [checks.records]")
    return tomllib.loads("\n".join(line.removeprefix("#").removeprefix(" ") for line in lines[start:]))


def test_awkward_names_and_values_render_to_a_file_that_reads_back():
    names = ['say "hi"', "C:\\path\\to", "it's", "Ünïcödé 名前 ☕", "#not a comment", "[not] = a table", "\\u0041"]
    values = [v for v in AWKWARD if v]  # categories may hold anything; blanks are missing
    rows = tuple((*(str(i % 2) for _ in names), values[i // 2], f"id-{i}", ['yes "really"', "no\\way"][i % 2])
                 for i in range(2 * len(values)))
    project = draft(Table((*names, "Pump Model", "ID \\ 1", 'Label "L"'), rows), 'Label "L"')
    text = render(project, "x", 'a "b"\\c.csv')
    parsed = tomllib.loads(text)
    assert (parsed["data"], parsed["target"], parsed["classes"]) == ('a "b"\\c.csv', 'Label "L"',
                                                                     ["no\\way", 'yes "really"'])
    assert parsed["ignored_columns"] == ["ID \\ 1"]
    assert [f["name"] for f in parsed["schema"]["features"]] == [*names, "Pump Model"]
    assert parsed["schema"]["features"][-1]["categories"] == sorted(values)
    assert uncommented_checks(text) == {"checks": {
        "records": {"row 1": {**{n: 0.0 for n in names}, "Pump Model": values[0]}},
        "minimum": [{"name": "row 1 is predicted as in the data", "record": "row 1", "label": 'yes "really"'}],
    }}
