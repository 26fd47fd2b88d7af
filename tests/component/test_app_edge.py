"""The edge of POST /predict: every bad input gets a 4xx naming the field and the problem, never a 5xx."""

import pytest

pytestmark = pytest.mark.component

GOOD = {"island": "Biscoe", "bill_length_mm": 47.5, "bill_depth_mm": 14.8,
        "flipper_length_mm": 217.0, "body_mass_g": 5200.0, "sex": "female"}


def body(**changes):
    """Give a one-row request as JSON text, with fields replaced by raw JSON text (None: field removed)."""
    fields = {**{k: _json(v) for k, v in GOOD.items()}, **changes}
    inner = ", ".join(f'"{k}": {v}' for k, v in fields.items() if v is not None)
    return '{"instances": [{' + inner + '}]}'


def _json(value):
    return f'"{value}"' if isinstance(value, str) else repr(value)


def problem(field, msg, type_):
    """Give the problem the service reports at `field`, a path into the body."""
    loc = ["body"]
    if field != "body":
        for part in field.replace("[", ".[").split("."):
            loc.append(int(part[1:-1]) if part.startswith("[") else part)
    return {"loc": loc, "field": field, "msg": msg, "type": type_}


ROW = "instances[0]"
RECORD_CASES = {
    "string for a number": (body(bill_length_mm='"47.5"'), f"{ROW}.bill_length_mm",
                            "Input should be a valid number", "float_type"),
    "boolean for a number": (body(bill_depth_mm="true"), f"{ROW}.bill_depth_mm",
                             "Input should be a valid number", "float_type"),
    "number for a category": (body(island="1"), f"{ROW}.island",
                              "Input should be 'Biscoe', 'Dream' or 'Torgersen'", "literal_error"),
    "unknown category": (body(sex='"unknown"'), f"{ROW}.sex", "Input should be 'female' or 'male'", "literal_error"),
    "null where not nullable": (body(island="null"), f"{ROW}.island",
                                "Input should be 'Biscoe', 'Dream' or 'Torgersen'", "literal_error"),
    "missing field": (body(body_mass_g=None), f"{ROW}.body_mass_g", "Field required", "missing"),
    "extra field": (body(year="2007"), f"{ROW}.year", "Extra inputs are not permitted", "extra_forbidden"),
    "below the range": (body(flipper_length_mm="149.9"), f"{ROW}.flipper_length_mm",
                        "Input should be greater than or equal to 150", "greater_than_equal"),
    "above the range": (body(body_mass_g="7000.5"), f"{ROW}.body_mass_g",
                        "Input should be less than or equal to 7000", "less_than_equal"),
    "NaN": (body(bill_length_mm="NaN"), f"{ROW}.bill_length_mm",
            "NaN is not a finite number; JSON numbers must be finite, send null for a missing value", "finite_number"),
    "Infinity": (body(bill_length_mm="Infinity"), f"{ROW}.bill_length_mm",
                 "Infinity is not a finite number; JSON numbers must be finite, send null for a missing value",
                 "finite_number"),
    "-Infinity": (body(bill_depth_mm="-Infinity"), f"{ROW}.bill_depth_mm",
                  "-Infinity is not a finite number; JSON numbers must be finite, send null for a missing value",
                  "finite_number"),
    "1e309": (body(body_mass_g="1e309"), f"{ROW}.body_mass_g",
              "1e309 is not a finite number; JSON numbers must be finite, send null for a missing value",
              "finite_number"),
    "an integer past a double": (body(body_mass_g="1" + "0" * 400), f"{ROW}.body_mass_g",
                                 "1" + "0" * 400 + " is not a finite number; JSON numbers must be finite, "
                                 "send null for a missing value", "finite_number"),
    "empty instances": ('{"instances": []}', "instances",
                        "List should have at least 1 item after validation, not 0", "too_short"),
    "instances not a list": ('{"instances": {"island": "Biscoe"}}', "instances", "Input should be a valid list",
                             "list_type"),
    "instances missing": ("{}", "instances", "Field required", "missing"),
    "a row not an object": ('{"instances": [[1, 2]]}', ROW, "Input should be a valid dictionary or instance of "
                            "Instance", "model_type"),
    "body a list": ("[]", "body", "Input should be a valid dictionary or instance of PredictRequest", "model_type"),
    "body a number": ("3", "body", "Input should be a valid dictionary or instance of PredictRequest", "model_type"),
    "body a string": ('"instances"', "body", "Input should be a valid dictionary or instance of PredictRequest",
                      "model_type"),
    "top-level extra": ('{"instances": [' + body()[15:-2] + '], "x": 1}', "x", "Extra inputs are not permitted",
                        "extra_forbidden"),
}


@pytest.fixture
def still_serving(client):
    """Check, after the test, that the service still answers a good request."""
    yield
    response = client.post("/predict", json={"instances": [GOOD]})
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("still_serving")
@pytest.mark.parametrize("text, field, msg, type_", RECORD_CASES.values(), ids=RECORD_CASES.keys())
def test_a_record_the_schema_forbids_is_422_naming_the_field(client, text, field, msg, type_):
    response = client.post("/predict", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": [problem(field, msg, type_)]}


@pytest.mark.usefixtures("still_serving")
def test_more_rows_than_the_maximum_is_422(make_client):
    small = make_client(max_batch_rows=2)
    response = small.post("/predict", json={"instances": [GOOD] * 3})
    assert response.status_code == 422
    assert response.json() == {"detail": [problem("instances", "List should have at most 2 items after "
                                                  "validation, not 3", "too_long")]}


@pytest.mark.usefixtures("still_serving")
def test_every_problem_of_a_record_is_listed(client):
    response = client.post("/predict", content=body(island="2", bill_length_mm="true", sex=None),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == [f"{ROW}.island", f"{ROW}.bill_length_mm",
                                                               f"{ROW}.sex"]


BODY_CASES = {
    "invalid JSON": (b'{"instances": [', 400, "invalid JSON: unexpected end of data: line 1 column 16 (char 15)",
                     "json_invalid"),
    "trailing garbage": (b'{"instances": []} x', 400,
                         "invalid JSON: unexpected content after document: line 1 column 19 (char 18)", "json_invalid"),
    "empty body": (b"", 400, "the body is empty; send a JSON object", "json_empty"),
    "not UTF-8": (b'{"instances": [{"island": "\xff"}]}', 400, "the body is not UTF-8: byte 27 is invalid",
                  "json_invalid"),
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, 400, "JSON nests deeper than 1024 levels",
                            "json_too_deep"),
    "nested 100,000 deep, unclosed": (b'{"a": ' * 100_000, 400, "JSON nests deeper than 1024 levels",
                                      "json_too_deep"),
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


@pytest.mark.parametrize("path", ["/predict", "/v2/models/penguins/infer"])
def test_a_fault_inside_a_hot_route_is_a_logged_json_500_with_the_request_id(make_client, path, caplog):
    app = make_client()

    def broken(columns):
        raise RuntimeError("the model fell over")

    app.app.state.model.batcher._predict = broken  # a fault no handler expects, where inference runs
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
