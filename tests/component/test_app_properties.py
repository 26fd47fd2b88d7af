"""Property-based: any record the schema allows is answered 200; any it forbids, 422 naming the field."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.schema import CategoryFeature, NumberFeature
from service.train.config import load_config
from tests.paths import ROOT

pytestmark = pytest.mark.component

# The served bundle is trained from this very file (see conftest), so its schema is this one.
CONFIG = load_config(ROOT / "tests" / "fixture_project" / "stopline.toml")
SCHEMA = CONFIG.input_schema
NAMES = SCHEMA.names
EXAMPLES = settings(max_examples=200, deadline=None, database=None)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()


def allowed(feature):
    if isinstance(feature, NumberFeature):
        values = (st.floats(feature.min, feature.max, allow_nan=False)
                  | st.integers(math.ceil(feature.min), math.floor(feature.max)))
    else:
        values = st.sampled_from(feature.categories)
    return values | st.none() if feature.nullable else values


def forbidden(feature):
    if isinstance(feature, NumberFeature):
        finite = {"allow_nan": False, "allow_infinity": False}
        values = (st.floats(max_value=feature.min, exclude_max=True, **finite)
                  | st.floats(min_value=feature.max, exclude_min=True, **finite)
                  | st.text() | st.booleans() | st.lists(st.floats(feature.min, feature.max), max_size=2))
    else:
        values = (st.text().filter(lambda text: text not in feature.categories)
                  | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans()
                  | st.lists(st.text(), max_size=2))
    return values if feature.nullable else values | st.none()


RECORDS = st.fixed_dictionaries({f.name: allowed(f) for f in SCHEMA.features})


@st.composite
def broken_request(draw):
    """Give a request with exactly one thing wrong, and the field the answer must name."""
    rows = draw(st.lists(RECORDS, min_size=1, max_size=3))
    row = draw(st.integers(0, len(rows) - 1))
    feature = draw(st.sampled_from(SCHEMA.features))
    how = draw(st.sampled_from(["value", "missing", "extra"]))
    name = feature.name
    if how == "value":
        rows[row][name] = draw(forbidden(feature))
    elif how == "missing":
        del rows[row][name]
    else:
        # Invented names as awkward as the declared ones: spaces, capitals, parentheses, dashes, slashes.
        name = draw(st.from_regex(r"[A-Za-z_][A-Za-z_ ()/-]{0,11}", fullmatch=True).filter(
            lambda text: text not in NAMES))
        rows[row][name] = draw(JSON_SCALARS)
    return {"instances": rows}, f"instances[{row}].{name}"


@EXAMPLES
@given(rows=st.lists(RECORDS, min_size=1, max_size=5))
def test_any_records_the_schema_allows_are_predicted(client, rows):
    response = client.post("/predict", json={"instances": rows})
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == len(rows)
    for prediction in predictions:
        probabilities = prediction["probabilities"]
        assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-5)
        assert prediction["label"] == max(probabilities, key=probabilities.get)


@EXAMPLES
@given(case=broken_request())
def test_any_record_the_schema_forbids_is_422_naming_the_field(client, case):
    request, field = case
    response = client.post("/predict", json=request)
    assert response.status_code == 422, response.text
    assert [p["field"] for p in response.json()["detail"]] == [field]


@settings(max_examples=100, deadline=None, database=None)
@given(rows=st.lists(RECORDS, min_size=1, max_size=5))
def test_v2_answers_what_predict_answers(client, rows):
    inputs = [{"name": f.name, "shape": [len(rows)], "datatype": "BYTES" if isinstance(f, CategoryFeature) else "FP64",
               "data": [row[f.name] for row in rows]} for f in SCHEMA.features]
    v2 = client.post(f"/v2/models/{CONFIG.name}/infer", json={"inputs": inputs})
    own = client.post("/predict", json={"instances": rows})
    assert (v2.status_code, own.status_code) == (200, 200)
    labels, probabilities = v2.json()["outputs"]
    predictions = own.json()["predictions"]
    assert labels["data"] == [p["label"] for p in predictions]
    expected = [p["probabilities"][c] for p in predictions for c in CONFIG.classes]
    assert max(abs(a - b) for a, b in zip(probabilities["data"], expected)) <= 1e-6


def test_the_served_schema_is_the_one_these_properties_draw_from(client):
    assert client.app.state.model.card.input_schema == SCHEMA
    assert (CONFIG.name, CONFIG.classes, NAMES) == ("pumps", ("ok", "needs service", "replace now"), (
        "Flow Rate (l/min)", "Pump Model", "Inlet-Pressure", "Vibration RMS", "Site"))
