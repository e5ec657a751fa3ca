#!/usr/bin/env python3
"""Reference values of the PRV accountant (Gopi, Lee & Wutschitz 2021, "Numerical Composition of
Differential Privacy"), from Opacus itself, for the PRVAccountant tests of PhantomPrivacyTests.

Writes Tests/Fixtures/privacy/prv_accountant.json (compact JSON):

- `cdf`: the privacy loss CDF of one Poisson-subsampled Gaussian step,
  `PoissonSubsampledGaussianPRV(q, σ).cdf(t)`, at a few points per (q, σ).
- `epsilon`: `PRVAccountant.get_epsilon(δ)` (eps_error 0.01, delta_error δ/1000: the upper bound
  Opacus reports) for a single segment (σ, q, steps), with the estimate and the lower bound of
  `compute_epsilon` beside it, and, as a second opinion that shares no code with Opacus, Google
  dp-accounting's privacy-loss-distribution accountant (`PLDAccountant`, value discretization
  1e-4) on the same event.
- `segments`: histories of several (σ, q, steps) segments.
- `noise_multiplier`: `get_noise_multiplier(..., accountant="prv", epsilon_tolerance=0.01)`.

Deterministic. Environment as make_privacy_fixtures.py (opacus 1.6.0, dp-accounting 0.6.0).
"""
import importlib.metadata
import json
import platform
from pathlib import Path

import numpy as np
import opacus
import scipy
from opacus.accountants import PRVAccountant
from opacus.accountants.analysis.prv import PoissonSubsampledGaussianPRV
from opacus.accountants.utils import get_noise_multiplier

OUT = Path(__file__).resolve().parent / "privacy" / "prv_accountant.json"

POINTS = [  # (σ, q, steps, δ)
    (s, q, t, d)
    for s in [0.8, 1.0, 2.0]
    for q in [0.001, 0.01, 0.1]
    for t in [10, 1000]
    for d in [1e-5]
] + [(1.0, 1.0, 1, 1e-5), (4.0, 1.0, 100, 1e-5), (1.5, 0.05, 3000, 1e-6), (0.6, 0.004, 5000, 1e-5),
     (1.1, 0.0043, 10000, 1e-5), (2.0, 0.3, 50, 1e-3)]
SEGMENTS = [
    [(1.0, 0.01, 100), (2.0, 0.05, 50), (1.0, 0.01, 30)],
    [(0.8, 0.001, 2000), (1.5, 0.3, 10)],
]
CALIBRATION = [(eps, q, steps) for eps in [1.0, 8.0] for q in [0.01, 0.1] for steps in [100, 1000]]
CDF_POINTS = [(0.01, 1.0), (0.3, 0.8), (1.0, 2.0), (0.001, 3.0)]
TS = [-1.0, -0.2, -0.01, 0.0, 0.005, 0.05, 0.3, 1.0, 3.0]


def opacus_epsilon(history, delta):
    accountant = PRVAccountant()
    accountant.history = list(history)
    delta_error = delta / 1000
    dprv = accountant._get_dprv(eps_error=0.01, delta_error=delta_error)
    lower, estimate, upper = dprv.compute_epsilon(delta, delta_error, 0.01)
    assert upper == accountant.get_epsilon(delta)
    return float(lower), float(estimate), float(upper)


def pld_epsilon(history, delta):
    from dp_accounting import dp_event
    from dp_accounting.pld import pld_privacy_accountant

    accountant = pld_privacy_accountant.PLDAccountant(value_discretization_interval=1e-4)
    for sigma, q, steps in history:
        accountant.compose(dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(sigma)), steps)
    return float(accountant.get_epsilon(delta))


def main():
    cdf_rows = []
    for q, sigma in CDF_POINTS:
        prv = PoissonSubsampledGaussianPRV(q, sigma)
        cdf_rows.append([q, sigma, TS, [float(prv.cdf(np.float64(t))) for t in TS]])
    epsilon_rows = []
    for sigma, q, steps, delta in POINTS:
        lower, estimate, upper = opacus_epsilon([(sigma, q, steps)], delta)
        epsilon_rows.append([sigma, q, steps, delta, upper, estimate, lower, float(f"{pld_epsilon([(sigma, q, steps)], delta):.7g}")])
        print(epsilon_rows[-1], flush=True)
    segment_rows = []
    for history in SEGMENTS:
        lower, estimate, upper = opacus_epsilon(history, 1e-5)
        segment_rows.append([[list(s) for s in history], 1e-5, upper, estimate, lower])
    calibration_rows = []
    for target, q, steps in CALIBRATION:
        sigma = get_noise_multiplier(target_epsilon=target, target_delta=1e-5, sample_rate=q, steps=steps,
                                     accountant="prv", epsilon_tolerance=0.01)
        calibration_rows.append([target, q, steps, 1e-5, float(sigma), opacus_epsilon([(sigma, q, steps)], 1e-5)[2]])
    fixture = {
        "generator": "Tests/Fixtures/make_prv_fixtures.py",
        "versions": {"python": platform.python_version(), "opacus": opacus.__version__, "scipy": scipy.__version__,
                     "numpy": np.__version__, "dp_accounting": importlib.metadata.version("dp-accounting")},
        "cdf": cdf_rows,
        "epsilon": epsilon_rows,
        "segments": segment_rows,
        "noise_multiplier": calibration_rows,
    }
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
