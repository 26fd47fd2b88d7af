"""The OpenAPI document shows the bundle's real request schema, and its examples predict."""

import pytest

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_instance_schema_is_the_bundles_input_schema(document):
    instance = document["components"]["schemas"]["Instance"]
    assert instance["additionalProperties"] is False
    assert instance["required"] == ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                    "body_mass_g", "sex"]
    properties = instance["properties"]
    assert properties["island"]["enum"] == ["Biscoe", "Dream", "Torgersen"]
    assert properties["sex"]["anyOf"] == [{"enum": ["female", "male"], "type": "string"}, {"type": "null"}]
    assert properties["bill_length_mm"]["anyOf"] == [{"maximum": 70.0, "minimum": 25.0, "type": "number"},
                                                     {"type": "null"}]
    assert properties["body_mass_g"]["description"] == (
        "Body mass in grams. A number in [2000, 7000]; null when unknown.")
    assert properties["island"]["description"] == (
        "Island in the Palmer Archipelago where the bird was observed. One of 'Biscoe', 'Dream', 'Torgersen'; "
        "required, never null.")


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
    assert example == {"instances": [{"island": "Biscoe", "bill_length_mm": 47.5, "bill_depth_mm": 17.5,
                                      "flipper_length_mm": 200.0, "body_mass_g": 4500.0, "sex": "female"}]}
    response = client.post("/predict", json=example)
    assert response.status_code == 200
    assert response.json()["predictions"][0]["label"] in ("Adelie", "Chinstrap", "Gentoo")


def test_the_documented_v2_example_infers(client, document):
    operation = document["paths"]["/v2/models/{name}/infer"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["example"]
    assert [tensor["name"] for tensor in example["inputs"]] == ["island", "bill_length_mm", "bill_depth_mm",
                                                                "flipper_length_mm", "body_mass_g", "sex"]
    assert client.post("/v2/models/penguins/infer", json=example).status_code == 200


def test_every_served_route_is_documented(client, document):
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = {(route.path, method) for route in client.app.routes if getattr(route, "include_in_schema", True)
              for method in (route.methods or ()) if method != "HEAD"}
    assert served - documented == set()


def test_the_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
