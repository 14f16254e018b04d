"""Buy-till-you-die models: BG/NBD for purchase counts and Gamma-Gamma for spend. Pure numpy.

References (the formulas below are numbered as there):

* Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2): the BG/NBD likelihood (eq. 6), P(alive)
  (eq. 13 of the accompanying note) and the conditional expectation E[Y(t) | x, t_x, T]
  (eq. 10). On the CDNOW sample of 2,357 customers (weeks): r=0.243, alpha=4.414, a=0.793,
  b=2.426.
* Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
  Analysis", JMR 42(4), and Fader & Hardie's note "The Gamma-Gamma Model of Monetary Value"
  (2013): the Gamma-Gamma likelihood of the mean repeat spend and its conditional expectation
  (eq. 5). On CDNOW's 946 repeat buyers: p=6.25, q=3.74, gamma=15.44.

Inputs per customer: ``x`` repeat purchases (purchase days after the first), ``t_x`` the age
at the last purchase and ``T`` the age at the end of the observation, both counted from the
first purchase in the same time unit (opsdesk uses weeks: the published parameters are in
weeks and the optimiser is well conditioned there), and for Gamma-Gamma ``m`` the mean value
of the repeat purchases.

Fitting is maximum likelihood in log-parameter space (every parameter is positive) with
L-BFGS-B under bounds, on the log-likelihood computed with ``gammaln``/``logaddexp`` so large
``x`` or ``T`` never overflow. Identical ``(x, t_x, T)`` rows are collapsed to one row with a
weight first, which makes a store of 300,000 customers (whose ages are whole days) a few
thousand distinct rows; the likelihood is vectorised either way.
"""

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

#: log-parameter bounds: every parameter between e^-9 (1.2e-4) and e^9 (8,100).
_LOG_BOUNDS = (-9.0, 9.0)


class FitError(ValueError):
    """The data cannot identify the model (too few customers or repeat buyers)."""


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool


def _collapse(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the aligned ``columns`` and how often each occurs."""
    stacked = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64)


def bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6) for ``params = (r, alpha, a, b)``.

    L = B(a, b + x)/B(a, b) * Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + δ(x>0) B(a+1, b+x-1)/B(a, b) * Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
    """
    r, alpha, a, b = params
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    beta_ab = special.betaln(a, b)
    stay = special.betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + T)
    repeat = x > 0
    # B(a+1, b+x-1) is only defined for x > 0; use b+x-1 -> b on the other rows (masked).
    drop = (
        special.betaln(a + 1, np.where(repeat, b + x - 1, b))
        - beta_ab
        - (r + x) * np.log(alpha + t_x)
    )
    return common + np.where(repeat, np.logaddexp(stay, drop), stay)


def _fit(negative_ll, start: np.ndarray) -> tuple[np.ndarray, float, bool]:
    result = optimize.minimize(
        negative_ll,
        np.log(start),
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * len(start),
        options={"maxiter": 500, "ftol": 1e-12, "gtol": 1e-8},
    )
    return np.exp(result.x), float(-result.fun), bool(result.success)


def _bgnbd_negative_ll(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weight: np.ndarray):
    """The mean negative BG/NBD log-likelihood as a function of the log-parameters, equal to
    ``bgnbd_log_likelihood`` but faster: every special function is evaluated only on the
    distinct values of ``x`` (a few dozen) and every logarithm only on the distinct ``t_x``
    and ``T``, then gathered per row."""
    xs, x_at = np.unique(x, return_inverse=True)
    ts, t_at = np.unique(t_x, return_inverse=True)
    Ts, T_at = np.unique(T, return_inverse=True)
    repeat = x > 0
    xs_drop = np.where(xs > 0, xs - 1, 0.0)
    total = weight.sum()

    def negative_ll(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        beta_ab = special.betaln(a, b)
        common = special.gammaln(r + xs) - special.gammaln(r) + r * np.log(alpha)
        stay_x = special.betaln(a, b + xs) - beta_ab
        drop_x = special.betaln(a + 1, b + xs_drop) - beta_ab
        rx = (r + xs)[x_at]
        stay = stay_x[x_at] - rx * np.log(alpha + Ts)[T_at]
        drop = drop_x[x_at] - rx * np.log(alpha + ts)[t_at]
        ll = common[x_at] + np.where(repeat, np.logaddexp(stay, drop), stay)
        return -float(np.dot(weight, ll)) / total

    return negative_ll


def bgnbd_fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters of customers ``(x, t_x, T)``.

    Raises ``FitError`` when there are fewer than 10 customers or no repeat buyer (the model
    is then not identified)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 10 or not np.any(x > 0):
        raise FitError("BG/NBD needs at least 10 customers and one repeat buyer.")
    (ux, ut, uT), weight = _collapse(x, t_x, T)
    negative_ll = _bgnbd_negative_ll(ux, ut, uT, weight)
    start = np.array([1.0, max(float(np.mean(T)), 1e-3), 1.0, 1.0])
    (r, alpha, a, b), mean_ll, converged = _fit(negative_ll, start)
    total = weight.sum()
    return BgNbdParams(float(r), float(alpha), float(a), float(b), mean_ll * total, converged)


def bgnbd_p_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T): 1 / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))."""
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_ratio = (
        np.log(a)
        - np.log(np.where(x > 0, b + x - 1, 1.0))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)


def bgnbd_expected_purchases(params: BgNbdParams, t: float, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T], purchases in the next ``t`` time units (FHL 2005, eq. 10):

    (a+b+x-1)/(a-1) * [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
    / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
    """
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyper = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    head = (a + b + x - 1) / (a - 1)
    body = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyper
    return head * body * bgnbd_p_alive(params, x, t_x, T)


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat spend ``m`` over ``x`` repeat
    purchases (x > 0), ``params = (p, q, gamma)``:

    Γ(px+q)/(Γ(px)Γ(q)) γ^q m^(px-1) x^(px) / (γ + m x)^(px+q)
    """
    p, q, gamma = params
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def gamma_gamma_fit(x: np.ndarray, m: np.ndarray) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from repeat buyers (``x > 0``, ``m > 0``);
    other rows are ignored. Raises ``FitError`` with fewer than 10 such customers."""
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    keep = (x > 0) & (m > 0)
    if keep.sum() < 10:
        raise FitError("Gamma-Gamma needs at least 10 repeat buyers with a positive spend.")
    (ux, um), weight = _collapse(x[keep], m[keep])
    total = weight.sum()
    # Terms in x alone are evaluated on its few distinct values; log m and log x once.
    xs, x_at = np.unique(ux, return_inverse=True)
    log_m, log_x = np.log(um), np.log(ux)

    def negative_ll(log_params: np.ndarray) -> float:
        p, q, gamma = np.exp(log_params)
        px = p * ux
        head = special.gammaln(p * xs + q) - special.gammaln(p * xs) - special.gammaln(q)
        ll = (
            head[x_at]
            + q * np.log(gamma)
            + (px - 1) * log_m
            + px * log_x
            - (px + q) * np.log(gamma + um * ux)
        )
        return -float(np.dot(weight, ll)) / total

    start = np.array([1.0, 1.0, max(float(np.mean(um)), 1e-3)])
    (p, q, gamma), ll, converged = _fit(negative_ll, start)
    return GammaGammaParams(float(p), float(q), float(gamma), ll * total, converged)


def gamma_gamma_expected_spend(params: GammaGammaParams, x, m) -> np.ndarray:
    """E[M | p, q, γ, m, x] = p (γ + x m) / (p x + q - 1) (eq. 5); with x = 0 it is the
    population mean p γ / (q - 1). Undefined (nan) when q <= 1."""
    x = np.asarray(x, dtype=np.float64)
    m = np.where(np.asarray(x) > 0, np.asarray(m, dtype=np.float64), 0.0)
    p, q, gamma = params.p, params.q, params.gamma
    if q <= 1:
        return np.full(x.shape, np.nan)
    return p * (gamma + x * m) / (p * x + q - 1)
