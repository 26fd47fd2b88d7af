"""The OpenAPI document shows the bundle's real request schema, and its examples predict."""

import pytest

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_instance_schema_is_the_bundles_input_schema(document):
    # The names as written are the JSON keys: the properties, their titles and the required list.
    instance = document["components"]["schemas"]["Record"]
    assert instance["additionalProperties"] is False
    assert instance["required"] == ["Flow Rate (l/min)", "Pump Model", "Inlet-Pressure", "Vibration RMS", "Site"]
    properties = instance["properties"]
    assert list(properties) == instance["required"]
    assert [p["title"] for p in properties.values()] == instance["required"]
    assert properties["Pump Model"]["enum"] == ["A-100", "B 200", "C/300"]
    assert properties["Site"]["anyOf"] == [{"enum": ["North Yard", "south-yard"], "type": "string"},
                                           {"type": "null"}]
    assert properties["Flow Rate (l/min)"]["anyOf"] == [{"maximum": 250.0, "minimum": 0.0, "type": "number"},
                                                        {"type": "null"}]
    assert {k: properties["Inlet-Pressure"][k] for k in ("type", "minimum", "maximum")} == {
        "type": "number", "minimum": 0.0, "maximum": 20.0}
    assert properties["Flow Rate (l/min)"]["description"] == (
        "Flow through the pump. A number in [0, 250]; null when unknown.")
    assert properties["Pump Model"]["description"] == "One of 'A-100', 'B 200', 'C/300'; required, never null."


def test_predict_documents_its_body_answers_and_errors(document):
    operation = document["paths"]["/predict"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PredictRequest"}
    request = document["components"]["schemas"]["PredictRequest"]
    assert request["properties"]["instances"]["minItems"] == 1
    assert request["properties"]["instances"]["maxItems"] == 1000
    assert sorted(operation["responses"]) == ["200", "400", "413", "415", "422", "503"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PredictResponse"}


def test_the_documented_predict_example_predicts(client, document):
    example = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert example == {"instances": [{"Flow Rate (l/min)": 125.0, "Pump Model": "A-100", "Inlet-Pressure": 10.0,
                                      "Vibration RMS": 30.0, "Site": "North Yard"}]}
    response = client.post("/predict", json=example)
    assert response.status_code == 200
    [prediction] = response.json()["predictions"]
    assert prediction["label"] == "replace now"
    assert list(prediction["probabilities"]) == ["ok", "needs service", "replace now"]


def test_the_documented_v2_example_infers(client, document):
    operation = document["paths"]["/v2/models/{name}/infer"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["example"]
    assert example == {"inputs": [
        {"name": "Flow Rate (l/min)", "shape": [1], "datatype": "FP64", "data": [125.0]},
        {"name": "Pump Model", "shape": [1], "datatype": "BYTES", "data": ["A-100"]},
        {"name": "Inlet-Pressure", "shape": [1], "datatype": "FP64", "data": [10.0]},
        {"name": "Vibration RMS", "shape": [1], "datatype": "FP64", "data": [30.0]},
        {"name": "Site", "shape": [1], "datatype": "BYTES", "data": ["North Yard"]},
    ]}
    response = client.post("/v2/models/pumps/infer", json=example)
    assert response.status_code == 200
    assert response.json()["outputs"][0]["data"] == ["replace now"]


def test_every_served_route_is_documented(client, document):
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = {(route.path, method) for route in client.app.routes if getattr(route, "include_in_schema", True)
              for method in (route.methods or ()) if method != "HEAD"}
    assert served - documented == set()


def test_the_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
