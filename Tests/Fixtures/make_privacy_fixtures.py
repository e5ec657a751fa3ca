#!/usr/bin/env python3
"""Reference values of the DP-SGD privacy accountant, from Opacus itself, for the
PrivacyAccountant* tests of PhantomPrivacyTests.

Writes Tests/Fixtures/privacy/rdp_accountant.json (compact JSON, ~46 KB):

- `orders`: Opacus's default RDP orders, `[1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))`.
- `rdp`: per-step RDP of the Poisson-subsampled Gaussian mechanism,
  `opacus.accountants.analysis.rdp.compute_rdp(q, σ, steps=1, orders)`, for σ ∈ {0.5, 0.8, 1, 1.5, 3, 10}
  and q ∈ {0.001, 0.01, 0.05, 0.3}, at the orders listed in `rdp_order_indices` (every other
  fractional order, the integer orders 2…10, every other integer order from 12: 85 of 151, to keep
  the file under 50 KB), each value rounded to 12 significant digits (relative rounding ≤ 5e-12).
  q = 1 is not stored: Opacus returns α / (2σ²) there, which the tests check directly.
- `epsilon`: `RDPAccountant.get_privacy_spent` (ε and the best order) with history
  `[(σ, q, steps)]` for the grid above plus q = 1, steps ∈ {1, 100, 10000}, δ ∈ {1e-5, 1e-3}
  (180 rows), at full precision. Beside each, the ε of Google's `dp-accounting` RDP accountant
  (`RdpAccountant` at the same orders, `PoissonSampledDpEvent(q, GaussianDpEvent(σ))`).
- `rdp_integral`: a second opinion on the RDP itself that shares no code with either library:
  A_α = E_{z~N(0,σ²)}[((1 − q) + q·exp((2z − 1)/(2σ²)))^α] integrated by mpmath at 40 digits
  (Mironov et al. 2019, Section 3), RDP = log A_α / (α − 1), at 12 points. Opacus agrees with it
  to ≤ 7e-11 relative, except 7e-9 where the RDP itself is 1.3e-8 (q = 0.001, σ = 10): Opacus sums
  in log space in Float64, so its error is ~1e-16 absolute per term. The script asserts 1e-6.
- `log_erfc`: Opacus's `_log_erfc(x)` = log 2 + `scipy.special.log_ndtr(−√2·x)` at 19 points from
  −3 to 1e5 (where erfc itself underflows to 0 beyond x ≈ 27).
- `segments`: histories of several (σ, q, steps) segments (a resumed run) with their ε and order.
- `noise_multiplier`: `opacus.accountants.utils.get_noise_multiplier` (accountant "rdp",
  epsilon_tolerance 0.01) for ε ∈ {1, 3, 8, 10}, q ∈ {0.01, 0.1}, steps ∈ {1000, 5000}, δ = 1e-5,
  with the ε that σ gives.

Second opinion, dp-accounting 0.6.0: it agrees with Opacus to 1e-3 on 142 of the 180 rows. On
32 rows its ε is larger (up to 2.9× at σ = 0.5, q = 0.3, 10000 steps): all have Opacus's best order
fractional (1.1 to 2.7), where dp-accounting's `_compute_log_a_frac` adds |binom(α, i)|-weighted
terms without their alternating signs (an upper bound of A_α: RDP 0.0130 instead of 0.000677 at
q = 0.3, σ = 10, α = 1.5, where the integral above gives 0.000677) and drops orders that do not
converge in 1000 terms. On 6 tiny-budget rows (δ = 1e-3) it reports ε = 0, from its KL bound
δ² + expm1(−RDP) > 0, where Opacus reports ~0.03–0.25. Each row carries `dp_accounting_agrees`;
the script asserts at least 20 agreeing rows, among them q = 1 and q = 0.001 ones.

Deterministic: running it twice gives the same bytes. Environment (Python 3.11, CPU only):

    python3 -m venv /tmp/privacy-venv
    /tmp/privacy-venv/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl \
        opacus==1.6.0 dp-accounting==0.6.0
    /tmp/privacy-venv/bin/python Tests/Fixtures/make_privacy_fixtures.py

(made with opacus 1.6.0, scipy 1.17.1, numpy 2.4.6, dp-accounting 0.6.0; the versions are also
recorded in the JSON).
"""
import importlib.metadata
import json
import math
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import opacus
import scipy
from opacus.accountants import RDPAccountant
from opacus.accountants.analysis import rdp as opacus_rdp
from opacus.accountants.utils import get_noise_multiplier

warnings.filterwarnings("ignore", message="Optimal order is the")  # Opacus: best order at an end of the list
OUT = Path(__file__).resolve().parent / "privacy" / "rdp_accountant.json"

SIGMAS = [0.5, 0.8, 1.0, 1.5, 3.0, 10.0]
SAMPLE_RATES = [0.001, 0.01, 0.05, 0.3, 1.0]
STEPS = [1, 100, 10000]
DELTAS = [1e-5, 1e-3]
ORDERS = RDPAccountant.DEFAULT_ALPHAS
SEGMENTS = [
    [(1.0, 0.01, 100), (2.0, 0.05, 50), (1.0, 0.01, 30)],
    [(0.8, 0.001, 5000), (1.5, 0.3, 10)],
    [(3.0, 1.0, 2), (0.5, 0.05, 7), (10.0, 0.01, 1000)],
]
CALIBRATION = [
    (eps, q, steps) for eps in [1.0, 3.0, 8.0, 10.0] for q in [0.01, 0.1] for steps in [1000, 5000]
]
CALIBRATION_DELTA = 1e-5
LOG_ERFC_POINTS = [-3.0, -1.0, -0.5, 0.0, 0.3, 0.7, 0.75, 1.0, 2.0, 5.0, 10.0, 20.0, 26.0, 27.0, 30.0, 40.0,
                   100.0, 1000.0, 1e5]
INTEGRAL_POINTS = [  # (q, σ, α): fractional and integer orders, tiny and large q
    (0.3, 0.5, 1.5), (0.3, 1.5, 1.3), (0.05, 0.5, 1.8), (0.01, 0.5, 1.5), (0.001, 10.0, 2.5),
    (0.3, 10.0, 1.5), (0.01, 1.0, 3.7), (0.05, 0.8, 6.0), (0.001, 1.0, 12.0), (0.3, 3.0, 32.0),
    (0.01, 3.0, 10.9), (0.001, 0.5, 4.2),
]


def stored_order_indices():
    """Every other fractional order, the integers 2…10 of the first range, every other integer from 12."""
    indices = []
    for index, order in enumerate(ORDERS):
        if index < 99:
            if index % 2 == 0 or float(order).is_integer():
                indices.append(index)
        elif (index - 99) % 2 == 0:
            indices.append(index)
    return indices


def opacus_privacy_spent(history, delta):
    accountant = RDPAccountant()
    accountant.history = list(history)
    return accountant.get_privacy_spent(delta=delta)


def dp_accounting_epsilon(history, delta):
    """Second opinion: Google's dp-accounting RDP accountant at the same orders."""
    from dp_accounting import dp_event
    from dp_accounting.rdp import rdp_privacy_accountant

    accountant = rdp_privacy_accountant.RdpAccountant(orders=ORDERS)
    for sigma, q, steps in history:
        accountant.compose(dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(sigma)), steps)
    return float(accountant.get_epsilon(delta))


def integral_rdp(q, sigma, order):
    """RDP of one step from the definition, A_α = ∫ N(z; 0, σ²)·((1 − q) + q·exp((2z − 1)/(2σ²)))^α dz."""
    import mpmath as mp

    mp.mp.dps = 40
    q, sigma, alpha = mp.mpf(q), mp.mpf(sigma), mp.mpf(order)

    def integrand(z):
        return mp.npdf(z, 0, sigma) * ((1 - q) + q * mp.exp((2 * z - 1) / (2 * sigma**2))) ** alpha

    cuts = sorted({-20 * sigma, mp.mpf(0), mp.mpf(1), alpha, alpha + 20 * sigma})
    a = mp.quad(integrand, [-mp.inf] + cuts + [mp.inf])
    return float(mp.log(a) / (alpha - 1))


def main():
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)  # dp-accounting's "failed to converge" warnings

    indices = stored_order_indices()
    rdp_rows = []
    for sigma in SIGMAS:
        for q in SAMPLE_RATES:
            if q == 1.0:
                per_step = opacus_rdp.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=ORDERS)
                assert all(r == a / (2 * sigma**2) for r, a in zip(per_step, ORDERS))
                continue
            per_step = opacus_rdp.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=ORDERS)
            assert np.all(np.isfinite(per_step)) and np.all(per_step > 0)
            rdp_rows.append([sigma, q, [float(f"{per_step[i]:.12g}") for i in indices]])

    epsilon_rows = []
    for sigma in SIGMAS:
        for q in SAMPLE_RATES:
            for steps in STEPS:
                for delta in DELTAS:
                    eps, order = opacus_privacy_spent([(sigma, q, steps)], delta)
                    # The accountant is compute_rdp × steps then get_privacy_spent; check the path.
                    rdp = opacus_rdp.compute_rdp(q=q, noise_multiplier=sigma, steps=steps, orders=ORDERS)
                    assert opacus_rdp.get_privacy_spent(orders=ORDERS, rdp=rdp, delta=delta)[0] == eps
                    second = dp_accounting_epsilon([(sigma, q, steps)], delta)
                    agrees = abs(second - eps) <= 1e-3 * eps
                    epsilon_rows.append([sigma, q, steps, delta, eps, order, float(f"{second:.7g}"), int(agrees)])
    agreeing = [row for row in epsilon_rows if row[-1]]
    assert len(agreeing) >= 20, len(agreeing)
    assert any(row[1] == 1.0 for row in agreeing) and any(row[1] == 0.001 for row in agreeing)

    log_erfc_rows = [[x, float(opacus_rdp._log_erfc(x))] for x in LOG_ERFC_POINTS]
    assert all(math.isfinite(v) for _, v in log_erfc_rows)

    integral_rows = []
    for q, sigma, order in INTEGRAL_POINTS:
        exact = integral_rdp(q, sigma, order)
        opacus_value = float(opacus_rdp.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=[order])[0])
        assert abs(opacus_value - exact) <= 1e-6 * exact, (q, sigma, order, opacus_value, exact)
        integral_rows.append([q, sigma, order, exact])

    segment_rows = []
    for history in SEGMENTS:
        for delta in DELTAS:
            eps, order = opacus_privacy_spent(history, delta)
            second = dp_accounting_epsilon(history, delta)
            segment_rows.append([[list(s) for s in history], delta, eps, order, float(f"{second:.7g}")])

    calibration_rows = []
    for target, q, steps in CALIBRATION:
        sigma = get_noise_multiplier(
            target_epsilon=target, target_delta=CALIBRATION_DELTA, sample_rate=q, steps=steps,
            accountant="rdp", epsilon_tolerance=0.01)
        eps, _ = opacus_privacy_spent([(sigma, q, steps)], CALIBRATION_DELTA)
        assert target - 0.01 <= eps <= target, (target, q, steps, sigma, eps)
        calibration_rows.append([target, q, steps, CALIBRATION_DELTA, sigma, eps])

    fixture = {
        "generator": "Tests/Fixtures/make_privacy_fixtures.py",
        "versions": {
            "python": platform.python_version(), "opacus": opacus.__version__, "scipy": scipy.__version__,
            "numpy": np.__version__, "dp_accounting": importlib.metadata.version("dp-accounting"),
        },
        "orders": [float(a) for a in ORDERS],
        "rdp_order_indices": indices,
        "rdp_columns": ["sigma", "q", "rdp_per_step_at_rdp_order_indices"],
        "rdp": rdp_rows,
        "epsilon_columns": ["sigma", "q", "steps", "delta", "epsilon", "order", "dp_accounting_epsilon",
                            "dp_accounting_agrees"],
        "epsilon": epsilon_rows,
        "log_erfc_columns": ["x", "opacus_log_erfc"],
        "log_erfc": log_erfc_rows,
        "rdp_integral_columns": ["q", "sigma", "order", "rdp_per_step_by_mpmath_quadrature"],
        "rdp_integral": integral_rows,
        "segments_columns": ["history_sigma_q_steps", "delta", "epsilon", "order", "dp_accounting_epsilon"],
        "segments": segment_rows,
        "noise_multiplier_columns": ["target_epsilon", "q", "steps", "delta", "sigma", "epsilon"],
        "noise_multiplier": calibration_rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(fixture, separators=(",", ":")) + "\n"
    OUT.write_text(text)
    print(f"{OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}: {len(text)} bytes; "
          f"{len(rdp_rows)} RDP vectors × {len(indices)} orders, {len(epsilon_rows)} ε, "
          f"{len(segment_rows)} segment cases, {len(calibration_rows)} calibrations; "
          f"{len(agreeing)} ε rows where dp-accounting agrees to 1e-3", file=sys.stderr)


if __name__ == "__main__":
    main()
