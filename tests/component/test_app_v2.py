"""The Open Inference Protocol (V2) REST routes: health, metadata, infer, and the same 4xx discipline."""

import json

import numpy as np
import pytest

pytestmark = pytest.mark.component

# The fixture's names, as written; V2 takes them as input names.
FLOW, MODEL, PRESSURE, VIBRATION, SITE = NAMES = ("Flow Rate (l/min)", "Pump Model", "Inlet-Pressure",
                                                  "Vibration RMS", "Site")
NUMBERS = (FLOW, PRESSURE, VIBRATION)
CLASSES = ("ok", "needs service", "replace now")


def tensors(*rows, shape2=False):
    """Give the V2 inputs for `rows`: one tensor per feature, FP64 or BYTES."""
    inputs = []
    for name in rows[0]:
        data = [row[name] for row in rows]
        inputs.append({
            "name": name,
            "shape": [len(rows), 1] if shape2 else [len(rows)],
            "datatype": "FP64" if name in NUMBERS else "BYTES",
            "data": [[v] for v in data] if shape2 else data,
        })
    return {"inputs": inputs}


@pytest.mark.parametrize("path", ["/v2/health/live", "/v2/health/ready", "/v2/models/pumps/ready"])
def test_health_is_200_with_an_empty_body(client, path):
    response = client.get(path)
    assert (response.status_code, response.content) == (200, b"")


def test_model_ready_with_its_version(client, training_run):
    assert client.get(f"/v2/models/pumps/versions/{training_run.card.version}/ready").status_code == 200


def test_server_metadata(client):
    response = client.get("/v2")
    assert (response.status_code, response.json()) == (200, {"name": "stopline", "version": "1", "extensions": []})


def test_model_metadata_lists_one_input_per_feature_and_both_outputs(client, training_run):
    number = {"datatype": "FP64", "shape": [-1], "parameters": {"content_type": "np"}}
    category = {"datatype": "BYTES", "shape": [-1], "parameters": {"content_type": "str"}}
    response = client.get("/v2/models/pumps")
    assert response.status_code == 200
    assert response.json() == {
        "name": "pumps",
        "versions": [training_run.card.version],
        "platform": "onnxruntime_onnx",
        "inputs": [
            {"name": "Flow Rate (l/min)", **number},
            {"name": "Pump Model", **category},
            {"name": "Inlet-Pressure", **number},
            {"name": "Vibration RMS", **number},
            {"name": "Site", **category},
        ],
        "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [-1], "parameters": {"content_type": "str"}},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
        ],
        "parameters": {"classes": ["ok", "needs service", "replace now"]},
    }
    versioned = client.get(f"/v2/models/pumps/versions/{training_run.card.version}")
    assert versioned.json() == response.json()


@pytest.mark.parametrize("shape2", [False, True], ids=["shape [n]", "shape [n, 1] nested"])
def test_infer_answers_as_predict_does(client, good_row, training_run, shape2):
    other = dict(good_row, **{MODEL: "B 200", VIBRATION: 30.0, SITE: None})
    request = {"id": "req-7", **tensors(good_row, other, shape2=shape2)}
    response = client.post("/v2/models/pumps/infer", json=request)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"model_name", "model_version", "id", "outputs"}
    assert (body["model_name"], body["model_version"], body["id"]) == ("pumps", training_run.card.version, "req-7")
    label, probabilities = body["outputs"]
    assert label == {"name": "label", "datatype": "BYTES", "shape": [2], "parameters": {"content_type": "str"},
                     "data": ["ok", "replace now"]}
    assert {k: probabilities[k] for k in ("name", "datatype", "shape")} == {
        "name": "probabilities", "datatype": "FP32", "shape": [2, 3]}
    expected = client.post("/predict", json={"instances": [good_row, other]}).json()["predictions"]
    flat = [p["probabilities"][c] for p in expected for c in CLASSES]
    assert np.max(np.abs(np.array(probabilities["data"]) - flat)) <= 1e-6


def test_infer_gives_the_requested_outputs_only(client, good_row, training_run):
    request = {**tensors(good_row), "outputs": [{"name": "probabilities", "parameters": {"binary_data": False}}]}
    response = client.post(f"/v2/models/pumps/versions/{training_run.card.version}/infer", json=request)
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["outputs"]] == ["probabilities"]
    assert "id" not in response.json()


def test_the_whole_holdout_through_v2_equals_the_offline_answer(client, training_run, bundle_dir):
    from service.bundle import load_bundle
    from service.predictor import Predictor

    bundle = load_bundle(bundle_dir)
    indices, expected = Predictor.from_bundle(bundle).predict(training_run.holdout.features)
    rows = training_run.holdout.rows
    inputs = [{"name": name, "shape": [len(values)], "datatype": "FP64" if name in NUMBERS else "BYTES",
               "data": [None if isinstance(v, float) and v != v else v for v in values]}
              for name, values in rows.items()]
    response = client.post("/v2/models/pumps/infer", json={"inputs": inputs})
    assert response.status_code == 200
    label, probabilities = response.json()["outputs"]
    assert label["data"] == [bundle.card.classes[i] for i in indices]
    served = np.array(probabilities["data"]).reshape(probabilities["shape"])
    assert np.max(np.abs(served - expected)) <= 1e-6


@pytest.mark.parametrize("method, path, loc, msg, type_", [
    ("GET", "/v2/models/iris", ["path", "name"], "model 'iris' is not served here; this service serves 'pumps'",
     "model_not_found"),
    ("GET", "/v2/models/iris/ready", ["path", "name"],
     "model 'iris' is not served here; this service serves 'pumps'", "model_not_found"),
    ("POST", "/v2/models/pump-hours/infer", ["path", "name"],
     "model 'pump-hours' is not served here; this service serves 'pumps'", "model_not_found"),
    ("GET", "/v2/models/pumps/versions/0/ready", ["path", "version"], None, "version_not_found"),
    ("POST", "/v2/models/pumps/versions/0/infer", ["path", "version"], None, "version_not_found"),
])
def test_an_unknown_model_or_version_is_404(client, training_run, method, path, loc, msg, type_):
    response = client.request(method, path, json={"inputs": []})
    assert response.status_code == 404
    msg = msg or f"model 'pumps' has no version '0'; it serves '{training_run.card.version}'"
    assert response.json() == {"detail": [{"loc": loc, "field": loc[1], "msg": msg, "type": type_}],
                               "error": f"{loc[1]}: {msg}"}


def v2_error(client, request, status=422):
    response = client.post("/v2/models/pumps/infer", json=request)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == "; ".join(f"{p['field']}: {p['msg']}" for p in body["detail"])
    return [(p["field"], p["msg"], p["type"]) for p in body["detail"]]


def test_a_value_the_schema_forbids_is_422_naming_input_and_row(client, good_row):
    request = tensors(good_row, dict(good_row, **{FLOW: 250.5, MODEL: "C-300", SITE: 1}))
    assert v2_error(client, request) == [
        ("inputs[0].data[1]", "Flow Rate (l/min): Input should be less than or equal to 250", "less_than_equal"),
        ("inputs[1].data[1]", "Pump Model: Input should be 'A-100', 'B 200' or 'C/300'", "literal_error"),
        ("inputs[4].data[1]", "Site: Input should be 'North Yard' or 'south-yard'", "literal_error"),
    ]


def test_a_name_as_written_is_named_exactly_in_loc_field_and_msg(client, good_row):
    request = tensors(dict(good_row, **{PRESSURE: -1.0}))
    response = client.post("/v2/models/pumps/infer", json=request)
    assert response.status_code == 422
    msg = "Inlet-Pressure: Input should be greater than or equal to 0"
    assert response.json() == {
        "detail": [{"loc": ["body", "inputs", 2, "data", 0], "field": "inputs[2].data[0]", "msg": msg,
                    "type": "greater_than_equal"}],
        "error": f"inputs[2].data[0]: {msg}"}


@pytest.mark.parametrize("value, msg, type_", [
    ("47.5", "Input should be a valid number", "float_type"),
    (True, "Input should be a valid number", "float_type"),
    ([1.0, 2.0], "Input should be a valid number", "float_type"),
    (-0.5, "Input should be greater than or equal to 0", "greater_than_equal"),
])
def test_a_bad_number_in_a_column_is_422(client, good_row, value, msg, type_):
    request = tensors(good_row)
    request["inputs"][0]["data"] = [value]
    assert v2_error(client, request) == [("inputs[0].data[0]", f"Flow Rate (l/min): {msg}", type_)]


def test_nan_in_a_tensor_is_422_naming_it(client, good_row):
    text = json.dumps(tensors(good_row)).replace("[4.0]", "[NaN]")  # Vibration RMS, the only 4.0
    response = client.post("/v2/models/pumps/infer", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == ["inputs[3].data[0]"]
    assert response.json()["detail"][0]["type"] == "finite_number"


def test_the_envelope_is_checked_against_this_models_inputs_and_outputs(client, good_row):
    request = tensors(good_row)
    request["inputs"][0]["datatype"] = "INT64"
    request["inputs"][1]["datatype"] = "FP32"
    request["inputs"][4]["name"] = "site"  # a name only like one: names are taken exactly as written
    request["outputs"] = [{"name": "logits"}]
    assert v2_error(client, request) == [
        ("inputs[0].datatype", "Flow Rate (l/min): Input should be 'FP32' or 'FP64'", "literal_error"),
        ("inputs[1].datatype", "Pump Model: Input should be 'BYTES'", "literal_error"),
        ("inputs[4]", "Input tag 'site' found using 'name' does not match any of the expected tags: "
         "'Flow Rate (l/min)', 'Pump Model', 'Inlet-Pressure', 'Vibration RMS', 'Site'", "union_tag_invalid"),
        ("outputs[0].name", "Input should be 'label' or 'probabilities'", "literal_error"),
    ]


def test_shapes_are_checked_against_the_data_and_each_other(client, good_row):
    request = tensors(good_row)
    request["inputs"][2]["shape"] = [1, 2]
    request["inputs"][3]["shape"] = [2]
    assert v2_error(client, request) == [
        ("inputs[2].shape", "Inlet-Pressure: shape [1, 2] is not [n] or [n, 1]", "shape"),
        ("inputs[3].data", "Vibration RMS: data holds 1 values, its shape says 2", "shape_mismatch"),
        ("inputs", "inputs hold different numbers of rows: [1, 2]", "shape_mismatch"),
    ]


def test_every_missing_input_is_named(client, good_row):
    request = tensors({name: good_row[name] for name in (FLOW, PRESSURE, VIBRATION)})
    assert v2_error(client, request) == [("inputs", "input 'Pump Model' is missing", "missing"),
                                         ("inputs", "input 'Site' is missing", "missing")]


def test_a_duplicate_input_is_422(client, good_row):
    request = tensors(good_row)
    request["inputs"].append(dict(request["inputs"][0]))
    assert v2_error(client, request) == [
        ("inputs[5].name", "input 'Flow Rate (l/min)' appears twice", "duplicate_input")]


@pytest.mark.parametrize("request_body, expected", [
    ({}, [("inputs", "Field required", "missing")]),
    ({"inputs": []}, [("inputs", f"input {name!r} is missing", "missing") for name in NAMES]),
    ({"inputs": {}}, [("inputs", "Input should be a valid list", "list_type")]),
    ([], [("body", "Input should be a valid dictionary", "dict_type")]),
    ({"inputs": [{"name": "Pump Model"}]}, [("inputs[0].datatype", "Pump Model: Field required", "missing"),
                                            ("inputs[0].shape", "Pump Model: Field required", "missing"),
                                            ("inputs[0].data", "Pump Model: Field required", "missing")]),
    ({"inputs": [], "extra": 1}, [("extra", "Extra inputs are not permitted", "extra_forbidden")]),
])
def test_a_malformed_request_is_422(client, request_body, expected):
    assert v2_error(client, request_body) == expected


def test_rows_past_the_maximum_or_none_are_422(make_client, good_row):
    small = make_client(max_batch_rows=1)
    assert v2_error(small, tensors(good_row, good_row))[:2] == [
        ("inputs[0].shape[0]", "Flow Rate (l/min): Input should be less than or equal to 1", "less_than_equal"),
        ("inputs[1].shape[0]", "Pump Model: Input should be less than or equal to 1", "less_than_equal"),
    ]
    empty = tensors(good_row)
    for tensor in empty["inputs"]:
        tensor["shape"], tensor["data"] = [0], []
    assert v2_error(small, empty)[0] == ("inputs[0].shape[0]",
                                         "Flow Rate (l/min): Input should be greater than or equal to 1",
                                         "greater_than_equal")


def binary_request(rows):
    """Give (body, header length) as Triton's client sends by default: every tensor as raw bytes."""
    import struct

    inputs, raw = [], b""
    for name in rows[0]:
        values = [row[name] for row in rows]
        if name in NUMBERS:
            data = np.array([np.nan if v is None else v for v in values], dtype="<f8").tobytes()
        else:
            data = b"".join(struct.pack("<I", len(v)) + v.encode() for v in values)
        inputs.append({"name": name, "shape": [len(rows)], "datatype": "FP64" if name in NUMBERS else "BYTES",
                       "parameters": {"binary_data_size": len(data)}})
        raw += data
    header = json.dumps({"inputs": inputs, "parameters": {"binary_data_output": True}}).encode()
    return header + raw, str(len(header))


@pytest.mark.parametrize("content_type", [None, "application/octet-stream"])
def test_binary_tensor_data_answers_as_json_does(client, good_row, content_type):
    rows = [good_row, dict(good_row, **{FLOW: None, MODEL: "C/300"})]
    body, length = binary_request(rows)
    headers = {"inference-header-content-length": length, **({"content-type": content_type} if content_type else {})}
    binary = client.post("/v2/models/pumps/infer", content=body, headers=headers)
    as_json = client.post("/v2/models/pumps/infer", json=tensors(*rows))
    assert (binary.status_code, as_json.status_code) == (200, 200)
    assert binary.json() == as_json.json()


def test_binary_tensor_data_declared_as_text_is_415(client, good_row):
    body, length = binary_request([good_row])
    response = client.post("/v2/models/pumps/infer", content=body,
                           headers={"inference-header-content-length": length, "content-type": "text/plain"})
    assert response.status_code == 415


def test_a_bad_value_in_binary_data_is_named_as_in_json(client, good_row):
    body, length = binary_request([dict(good_row, **{VIBRATION: 60.5})])
    response = client.post("/v2/models/pumps/infer", content=body,
                           headers={"inference-header-content-length": length})
    assert response.status_code == 422
    assert response.json()["error"] == "inputs[3].data[0]: Vibration RMS: Input should be less than or equal to 60"


@pytest.mark.parametrize("content, status", [(b"", 400), (b"{", 400), (b"[" * 100_000, 400)])
def test_a_body_that_is_not_json_is_400_with_an_error_line(client, content, status):
    response = client.post("/v2/models/pumps/infer", content=content)
    assert response.status_code == status
    assert response.json()["error"].startswith("body: ")
