"""The BG/NBD and Gamma-Gamma fits against the published CDNOW estimates (within 1%), and the
predictions against the values published with them."""

import pathlib

import numpy as np
import pandas as pd
import pytest

from users import btyd

DATA = pathlib.Path(__file__).parent / "data" / "cdnow_summary.csv"


@pytest.fixture(scope="module")
def cdnow():
    frame = pd.read_csv(DATA)
    assert len(frame) == 2357
    return frame


@pytest.fixture(scope="module")
def bgnbd(cdnow):
    return btyd.bgnbd_fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_bgnbd_matches_fader_hardie_lee_2005_within_one_percent(bgnbd):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(bgnbd, name) == pytest.approx(value, rel=0.01), name
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert bgnbd.converged


def test_gamma_gamma_matches_the_published_estimates_within_one_percent(cdnow):
    fitted = btyd.gamma_gamma_fit(cdnow["x"], cdnow["zbar"])
    assert (cdnow["x"] > 0).sum() == 946  # the repeat buyers it is fitted on
    assert fitted.p == pytest.approx(6.25, rel=0.01)
    assert fitted.q == pytest.approx(3.74, rel=0.01)
    assert fitted.gamma == pytest.approx(15.44, rel=0.01)
    # Someone without repeat purchases is expected to spend the population mean
    # p*gamma/(q-1) = 6.25*15.44/2.74 = $35.22 per purchase.
    assert btyd.gamma_gamma_expected_spend(fitted, np.array([0]), np.array([0]))[0] == (
        pytest.approx(6.25 * 15.44 / 2.74, rel=0.01)
    )


def test_conditional_expectation_of_customer_one_is_the_published_1_226(bgnbd):
    # FHL 2005: a customer with x=2, t_x=30.43, T=38.86 expects 1.226 purchases in the next
    # 39 weeks.
    expected = btyd.bgnbd_expected_purchases(bgnbd, 39, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.002)


def test_p_alive_by_hand(bgnbd):
    # One-time buyers are alive with probability 1 under BG/NBD (no drop-out opportunity yet).
    assert btyd.bgnbd_p_alive(bgnbd, [0], [0], [38.86])[0] == 1.0
    r, alpha, a, b = bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b
    by_hand = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert btyd.bgnbd_p_alive(bgnbd, [2], [30.43], [38.86])[0] == pytest.approx(by_hand)


def test_too_little_history_is_a_fit_error():
    with pytest.raises(btyd.FitError):
        btyd.bgnbd_fit(np.zeros(50), np.zeros(50), np.full(50, 10.0))
    with pytest.raises(btyd.FitError):
        btyd.gamma_gamma_fit(np.ones(5), np.full(5, 20.0))


def test_the_fast_likelihood_used_for_fitting_equals_the_reference_formula(cdnow):
    x, t_x, T = (cdnow[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    params = np.array([0.3, 5.0, 0.7, 2.0])
    reference = btyd.bgnbd_log_likelihood(params, x, t_x, T).mean()
    fast = btyd._bgnbd_negative_ll(x, t_x, T, np.ones(len(x)))(np.log(params))
    assert -fast == pytest.approx(reference, rel=1e-12)
