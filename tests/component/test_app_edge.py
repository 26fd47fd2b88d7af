"""The edge of POST /predict: every bad input gets a 4xx naming the field and the problem, never a 5xx."""

import json

import pytest

pytestmark = pytest.mark.component

GOOD = {"Flow Rate (l/min)": 90.0, "Pump Model": "A-100", "Inlet-Pressure": 6.0, "Vibration RMS": 4.0,
        "Site": "North Yard"}
FLOW, MODEL, PRESSURE, VIBRATION, SITE = GOOD  # the fixture's names, as written


def body(changes=None, **more):
    """Give a one-row request as JSON text, with fields replaced by raw JSON text (None: field removed)."""
    fields = {**{k: json.dumps(v) for k, v in GOOD.items()}, **(changes or {}), **more}
    inner = ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items() if v is not None)
    return '{"instances": [{' + inner + '}]}'


def problem(loc, msg, type_):
    """Give the problem the service reports at `loc`, a path into the body (without "body")."""
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else part)
    return {"loc": ["body", *loc], "field": field or "body", "msg": msg, "type": type_}


ROW = ("instances", 0)
NOT_FINITE = "Input should be a finite number"  # pydantic's words: JSON has no NaN, and 1e309 is no double
RECORD_CASES = {
    "string for a number": (body({FLOW: '"90.0"'}), (*ROW, FLOW), "Input should be a valid number", "float_type"),
    "boolean for a number": (body({PRESSURE: "true"}), (*ROW, PRESSURE), "Input should be a valid number",
                             "float_type"),
    "number for a category": (body({MODEL: "1"}), (*ROW, MODEL), "Input should be 'A-100', 'B 200' or 'C/300'",
                              "literal_error"),
    "unknown category": (body({SITE: '"East Yard"'}), (*ROW, SITE), "Input should be 'North Yard' or 'south-yard'",
                         "literal_error"),
    "a category in the wrong case": (body({MODEL: '"a-100"'}), (*ROW, MODEL),
                                     "Input should be 'A-100', 'B 200' or 'C/300'", "literal_error"),
    "null where not nullable": (body({MODEL: "null"}), (*ROW, MODEL), "Input should be 'A-100', 'B 200' or 'C/300'",
                                "literal_error"),
    "null number where not nullable": (body({PRESSURE: "null"}), (*ROW, PRESSURE), "Input should be a valid number",
                                       "float_type"),
    "missing field": (body({VIBRATION: None}), (*ROW, VIBRATION), "Field required", "missing"),
    "extra field": (body({"Record ID": '"P-1000"'}), (*ROW, "Record ID"), "Extra inputs are not permitted",
                    "extra_forbidden"),
    "below the range": (body({FLOW: "-0.1"}), (*ROW, FLOW), "Input should be greater than or equal to 0",
                        "greater_than_equal"),
    "above the range": (body({FLOW: "250.5"}), (*ROW, FLOW), "Input should be less than or equal to 250",
                        "less_than_equal"),
    "NaN": (body({FLOW: "NaN"}), (*ROW, FLOW), NOT_FINITE, "finite_number"),
    "Infinity": (body({FLOW: "Infinity"}), (*ROW, FLOW), NOT_FINITE, "finite_number"),
    "-Infinity": (body({PRESSURE: "-Infinity"}), (*ROW, PRESSURE), NOT_FINITE, "finite_number"),
    "1e309": (body({VIBRATION: "1e309"}), (*ROW, VIBRATION), NOT_FINITE, "finite_number"),
    "an integer past a double": (body({VIBRATION: "1" + "0" * 400}), (*ROW, VIBRATION), NOT_FINITE,
                                 "finite_number"),
    "empty instances": ('{"instances": []}', ("instances",),
                        "List should have at least 1 item after validation, not 0", "too_short"),
    "instances not a list": ('{"instances": {"Pump Model": "A-100"}}', ("instances",), "Input should be a valid list",
                             "list_type"),
    "instances missing": ("{}", ("instances",), "Field required", "missing"),
    "a row not an object": ('{"instances": [[1, 2]]}', ROW, "Input should be a valid dictionary", "dict_type"),
    "body a list": ("[]", (), "Input should be a valid dictionary", "dict_type"),
    "body a number": ("3", (), "Input should be a valid dictionary", "dict_type"),
    "body a string": ('"instances"', (), "Input should be a valid dictionary", "dict_type"),
    "top-level extra": ('{"instances": [' + body()[15:-2] + '], "x": 1}', ("x",), "Extra inputs are not permitted",
                        "extra_forbidden"),
}


def test_a_name_as_written_is_named_exactly_in_loc_field_and_metric(make_client):
    app = make_client()
    response = app.post("/predict", content=body({FLOW: "300"}), headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {"detail": [{
        "loc": ["body", "instances", 0, "Flow Rate (l/min)"], "field": "instances[0].Flow Rate (l/min)",
        "msg": "Input should be less than or equal to 250", "type": "less_than_equal"}]}
    assert 'stopline_validation_failures_total{field="Flow Rate (l/min)"} 1.0' in app.get("/metrics").text


@pytest.mark.parametrize("rows", [1, 40])
def test_a_ratio_past_float32_still_gets_finite_probabilities(client, rows):
    # 6.0 / 1e-40 is a finite float64 but past float32's range, and anything near it overflows the
    # model's scaler: a denominator that close to zero counts as zero (service.features).
    response = client.post("/predict", json={"instances": [dict(GOOD, **{FLOW: 1e-40})] * rows})
    assert response.status_code == 200, response.text
    for prediction in response.json()["predictions"]:
        probabilities = prediction["probabilities"]
        assert all(isinstance(p, float) and 0.0 <= p <= 1.0 for p in probabilities.values()), probabilities
        assert abs(sum(probabilities.values()) - 1.0) <= 1e-5
        assert prediction["label"] == max(probabilities, key=probabilities.get)


def test_a_name_only_like_a_feature_is_no_feature(client):
    response = client.post("/predict", content=body({FLOW: None, "flow rate (l/min)": "90.0"}),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {"detail": [problem((*ROW, FLOW), "Field required", "missing"),
                                          problem((*ROW, "flow rate (l/min)"), "Extra inputs are not permitted",
                                                  "extra_forbidden")]}


@pytest.fixture
def still_serving(client):
    """Check, after the test, that the service still answers a good request."""
    yield
    response = client.post("/predict", json={"instances": [GOOD]})
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("still_serving")
@pytest.mark.parametrize("text, loc, msg, type_", RECORD_CASES.values(), ids=RECORD_CASES.keys())
def test_a_record_the_schema_forbids_is_422_naming_the_field(client, text, loc, msg, type_):
    response = client.post("/predict", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": [problem(loc, msg, type_)]}


@pytest.mark.usefixtures("still_serving")
def test_more_rows_than_the_maximum_is_422(make_client):
    small = make_client(max_batch_rows=2)
    response = small.post("/predict", json={"instances": [GOOD] * 3})
    assert response.status_code == 422
    assert response.json() == {"detail": [problem(("instances",), "List should have at most 2 items after "
                                                  "validation, not 3", "too_long")]}


@pytest.mark.usefixtures("still_serving")
def test_every_problem_of_a_record_is_listed(client):
    response = client.post("/predict", content=body({FLOW: "true", MODEL: "2", SITE: None}),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == [
        "instances[0].Flow Rate (l/min)", "instances[0].Pump Model", "instances[0].Site"]


BODY_CASES = {  # pydantic's own words: it parses and validates in one pass
    "invalid JSON": (b'{"instances": [', 400, "Invalid JSON: EOF while parsing a list at line 1 column 15",
                     "json_invalid"),
    "trailing garbage": (b'{"instances": []} x', 400, "Invalid JSON: trailing characters at line 1 column 19",
                         "json_invalid"),
    "empty body": (b"", 400, "Invalid JSON: EOF while parsing a value at line 1 column 0", "json_invalid"),
    "not UTF-8": (b'{"instances": [{"Pump Model": "\xff"}]}', 400,
                  "Invalid JSON: invalid unicode code point at line 1 column 32", "json_invalid"),
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, 400,
                            "Invalid JSON: recursion limit exceeded at line 1 column 202", "json_invalid"),
    "nested 100,000 deep, unclosed": (b'{"a": ' * 100_000, 400,
                                      "Invalid JSON: recursion limit exceeded at line 1 column 1207", "json_invalid"),
}


@pytest.mark.usefixtures("still_serving")
@pytest.mark.parametrize("content, status, msg, type_", BODY_CASES.values(), ids=BODY_CASES.keys())
def test_a_body_that_is_not_json_is_400(client, content, status, msg, type_):
    response = client.post("/predict", content=content, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json() == {"detail": [{"loc": ["body"], "field": "body", "msg": msg, "type": type_}]}


TYPE_CASES = {
    "text/plain": ("text/plain", "content type 'text/plain' is not supported; send application/json"),
    "form": ("application/x-www-form-urlencoded",
             "content type 'application/x-www-form-urlencoded' is not supported; send application/json"),
    "empty": ("", "content type '(empty)' is not supported; send application/json"),
    "latin-1": ("application/json; charset=latin-1", "charset 'latin-1' is not supported; send UTF-8"),
}


@pytest.mark.usefixtures("still_serving")
@pytest.mark.parametrize("content_type, msg", TYPE_CASES.values(), ids=TYPE_CASES.keys())
def test_a_body_not_declared_as_json_is_415(client, content_type, msg):
    response = client.post("/predict", content=body(), headers={"content-type": content_type})
    assert response.status_code == 415
    assert response.json() == {"detail": [{"loc": ["header", "content-type"], "field": "content-type", "msg": msg,
                                           "type": "unsupported_media_type"}]}


@pytest.mark.parametrize("content_type", [None, "application/json", "application/json; charset=utf-8",
                                          "application/vnd.stopline+json"])
def test_json_with_or_without_a_declared_type_is_read(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/predict", content=body().encode(), headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("method, path, status, msg, type_", [
    ("GET", "/nowhere", 404, "Not Found", "not_found"),
    ("GET", "/predict", 405, "Method Not Allowed", "method_not_allowed"),
    ("POST", "/health/live", 405, "Method Not Allowed", "method_not_allowed"),
])
def test_unknown_routes_and_methods_are_json_too(client, method, path, status, msg, type_):
    response = client.request(method, path)
    assert response.status_code == status
    assert response.json() == {"detail": [{"loc": [], "field": "", "msg": msg, "type": type_}]}


@pytest.mark.parametrize("path", ["/predict", "/v2/models/pumps/infer"])
def test_a_fault_inside_inference_is_a_logged_json_500_with_the_request_id(make_client, path, caplog,
                                                                           monkeypatch):
    app = make_client()

    def broken(features):
        raise RuntimeError("the model fell over")

    # A fault no handler expects, where inference runs: the model's own predict.
    monkeypatch.setattr(app.app.state.model.predictor, "predict", broken)
    request = ({"json": {"instances": [GOOD]}} if path == "/predict" else
               {"json": {"inputs": [{"name": k, "shape": [1], "datatype": "BYTES" if isinstance(v, str) else "FP64",
                                     "data": [v]} for k, v in GOOD.items()]}})
    response = app.post(path, headers={"x-request-id": "fault-1"}, **request)
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "fault-1"
    assert response.json()["detail"] == [
        {"loc": [], "field": "", "msg": "internal error; the service logged the cause", "type": "internal"}]
    [logged] = [r for r in caplog.records if r.name == "stopline.service" and r.levelname == "ERROR"]
    assert f"unhandled error on POST {path}" in logged.getMessage() and "fell over" in str(logged.exc_info[1])
    assert app.get("/health/live").status_code == 200
