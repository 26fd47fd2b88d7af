"""Behavioural cases: what any acceptable penguin classifier must get right."""

import numpy as np
import pytest

pytestmark = pytest.mark.model

# Typical specimens of each species (medians of the committed data, rounded).
TYPICAL = {
    "Adelie": {"island": "Torgersen", "bill_length_mm": 38.8, "bill_depth_mm": 18.4, "flipper_length_mm": 190.0,
               "body_mass_g": 3700.0, "sex": "male"},
    "Chinstrap": {"island": "Dream", "bill_length_mm": 49.6, "bill_depth_mm": 18.4, "flipper_length_mm": 196.0,
                  "body_mass_g": 3700.0, "sex": "female"},
    "Gentoo": {"island": "Biscoe", "bill_length_mm": 47.3, "bill_depth_mm": 15.0, "flipper_length_mm": 216.0,
               "body_mass_g": 5000.0, "sex": "female"},
}


@pytest.mark.parametrize("species", sorted(TYPICAL))
def test_minimum_functionality_a_typical_bird_of_each_species_is_recognised(classify, species):
    labels, probabilities = classify([TYPICAL[species]])
    assert labels == [species]
    assert probabilities.max() > 0.8


@pytest.mark.parametrize("species", sorted(TYPICAL))
def test_invariance_sex_unknown_or_a_little_more_mass_does_not_change_the_species(classify, species):
    bird = TYPICAL[species]
    variants = [dict(bird, sex=None), dict(bird, body_mass_g=bird["body_mass_g"] + 100),
                dict(bird, body_mass_g=bird["body_mass_g"] - 100)]
    labels, _ = classify(variants)
    assert labels == [species] * 3


def test_invariance_missing_measurements_still_give_a_valid_distribution(classify):
    sparse = dict(TYPICAL["Gentoo"], bill_length_mm=None, bill_depth_mm=None, flipper_length_mm=None,
                  body_mass_g=None, sex=None)
    labels, probabilities = classify([sparse])
    assert labels[0] in TYPICAL
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_directional_a_deeper_bill_makes_gentoo_less_likely(classify, config):
    gentoo = config.classes.index("Gentoo")
    depths = [14.0, 15.5, 17.0, 18.5, 20.0]
    _, probabilities = classify([dict(TYPICAL["Gentoo"], bill_depth_mm=d) for d in depths])
    assert np.all(np.diff(probabilities[:, gentoo]) < 0), probabilities[:, gentoo]


def test_directional_a_longer_bill_moves_a_dream_bird_from_adelie_to_chinstrap(classify, config):
    chinstrap = config.classes.index("Chinstrap")
    lengths = [38.0, 42.0, 46.0, 50.0]
    labels, probabilities = classify([dict(TYPICAL["Chinstrap"], bill_length_mm=x) for x in lengths])
    assert labels[0] == "Adelie" and labels[-1] == "Chinstrap"
    assert np.all(np.diff(probabilities[:, chinstrap]) > 0), probabilities[:, chinstrap]
