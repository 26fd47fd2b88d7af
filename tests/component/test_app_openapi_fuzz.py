"""The OpenAPI document is exact: schemathesis fuzzes every operation it declares, in process, against the app.

A request valid under the document is answered 2xx, one invalid under it 4xx, and no request gets a
5xx, a status its operation does not list, or a content type, header or body other than documented.
The document is the one the app serves once its lifespan has loaded the model, as a client reads it.
"""

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection, positive_data_acceptance, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)

from service.app import create_app
from service.app.routes import ENDPOINTS
from service.settings import ServiceSettings

pytestmark = pytest.mark.component

OPERATIONS = [f"{endpoint.method} {endpoint.path}" for endpoint in ENDPOINTS]
# Only these have parameters or a body for the fuzzer to break: OpenAPI leaves undeclared query
# strings and headers open.
WITH_INPUTS = [f"{e.method} {e.path}" for e in ENDPOINTS if "{" in e.path or e.body is not None]
# Bounded and repeatable: the same cases every run, and no example database left behind.
FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, positive_data_acceptance, negative_data_rejection]
CONFIG = {"checks": {
    # Stricter than schemathesis' defaults, which let a valid request have a 404, 409 or 5xx.
    "positive_data_acceptance": {"expected-statuses": ["2xx"]},
    "negative_data_rejection": {"expected-statuses": ["4xx"]},
}}


@pytest.fixture(scope="module")
def schema(bundle_dir: Path) -> Any:
    """Give the document the app serves with its model loaded: from_asgi enters the app's lifespan."""
    app = create_app(ServiceSettings(bundle=bundle_dir))
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG))


def same_rows(case: Any) -> Any:
    """Give a valid V2 infer case made to follow the two rules the document states in words, nothing more:
    every tensor has the same number of rows n, and each one's data holds shape[0] = n values.

    JSON Schema cannot state either rule, so no generator follows them. n is the fewest values any
    tensor holds (the document says at least one), so only trailing values go, and the case stays valid.
    """
    inputs = case.body["inputs"]
    rows = min(len(tensor["data"]) for tensor in inputs)
    for tensor in inputs:
        tensor["shape"][0] = type(tensor["shape"][0])(rows)  # as generated: 3.0 stays 3.0, a JSON integer too
        del tensor["data"][rows:]
    return case


def fuzz(schema: Any, label: str, mode: GenerationMode) -> None:
    """Send one operation's cases in `mode`, as schemathesis' coverage phase (each constraint's boundary
    values and edge cases; for a negative run, undeclared methods too) and then its fuzzing phase make
    them; fail at the first case any check fails."""
    operation = schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is served but not documented"
    follow = same_rows if mode is GenerationMode.POSITIVE and label.endswith("/infer") else (lambda case: case)
    generation = schema.config.generation_for(operation=operation, phase="coverage")
    for case in schema.iter_coverage_cases(operation, generation_modes=[mode], generation_config=generation):
        follow(case).call_and_validate(checks=CHECKS)
    if mode is GenerationMode.NEGATIVE and label not in WITH_INPUTS:
        return  # nothing declared to break: only its undeclared methods, above, are invalid

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode).map(follow))
    def send(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    send()


def test_the_document_declares_every_served_operation_and_no_other(schema: Any) -> None:
    assert [operation.ok().label for operation in schema.get_all_operations()] == OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_a_request_the_document_allows_is_answered_2xx_as_documented(schema: Any, label: str) -> None:
    fuzz(schema, label, GenerationMode.POSITIVE)


@pytest.mark.parametrize("label", OPERATIONS)
def test_a_request_the_document_forbids_is_refused_4xx_as_documented(schema: Any, label: str) -> None:
    fuzz(schema, label, GenerationMode.NEGATIVE)


def v2_body(flow: list[Any], shape: list[Any]) -> dict[str, Any]:
    """Give an infer body of two rows; `Flow Rate (l/min)` takes `flow` and `shape`."""
    rows: dict[str, list[Any]] = {"Pump Model": ["A-100", "B 200"], "Inlet-Pressure": [10.0, 2.5],
                                  "Vibration RMS": [30.0, None], "Site": ["North Yard", None]}
    return {"inputs": [{"name": "Flow Rate (l/min)", "datatype": "FP64", "shape": shape, "data": flow}, *(
        {"name": name, "datatype": "BYTES" if isinstance(data[0], str) else "FP64", "shape": [2], "data": data}
        for name, data in rows.items())]}


@pytest.mark.parametrize(("flow", "shape", "refused"), [
    ([1.0, 2.0], [2.0], None),  # JSON Schema's integers include 2.0: the fuzzer found it refused
    ([1.0, 2.0], [2, 1.0], None),
    ([[1.0], [2.0]], [2, 1], None),
    ([[1.0], 2.0], [2, 1], "inputs[0].data[0]"),  # neither flat nor nested, as the document says (once flattened)
    ([1.0, [2.0]], [2, 1], "inputs[0].data[1]"),
], ids=["shape [2.0]", "shape [2, 1.0]", "nested", "nested then flat", "flat then nested"])
def test_v2_shape_and_data_are_taken_as_the_document_says(
        client: Any, flow: list[Any], shape: list[Any], refused: str | None) -> None:
    response = client.post("/v2/models/pumps/infer", json=v2_body(flow, shape))
    if refused is None:
        assert response.status_code == 200, response.text
        assert response.json()["outputs"][0]["shape"] == [2]
    else:
        assert response.status_code == 422
        assert [(p["field"], p["msg"]) for p in response.json()["detail"]] == [
            (refused, "Flow Rate (l/min): Input should be a valid number")]
