#!/usr/bin/env python3
"""Reference values for crates/domain/src/stats.rs, written to fixtures/stats_reference.json.

The Rust tests in crates/domain/tests/suite/stats_reference.rs check every value here. CI does
not run this script; re-run it by hand after changing a case and commit the JSON with it:

    python3 -m venv /tmp/statsvenv
    /tmp/statsvenv/bin/pip install scipy statsmodels krippendorff numpy
    /tmp/statsvenv/bin/python crates/domain/tests/make_stats_fixtures.py

Sources of truth:
  * Wilson interval: statsmodels proportion_confint(method="wilson").
  * Newcombe hybrid score interval (Newcombe 1998, method 10) for b - a:
    statsmodels confint_proportions_2indep(x_b, n_b, x_a, n_a, method="newcomb", compare="diff").
  * Pooled two-proportion z test for b - a: statsmodels proportions_ztest([x_b, x_a], [n_b, n_a]).
  * Mean, median, sample SD: numpy; Student-t interval: scipy.stats.t.interval.
  * Krippendorff's alpha: krippendorff.alpha(reliability_data=coders x units with np.nan for a
    missing grade, level_of_measurement=..., value_domain=[1, 2, 3, 4]) (the full grade scale;
    cases with values outside 1..4 pass the full integer range they span). For ordinal alpha the
    script also checks that the package's default domain (the values observed) gives the same
    result, and that shuffling which coder gave which grade within a unit changes nothing.

Statistics that do not exist are written as null: an empty or zero-n sample, a z test whose
pooled proportion is 0 or 1, an alpha with no pairable unit or no variation. The Rust code
must return None / Alpha::Undefined for them, never NaN.
"""

import importlib.metadata
import json
import math
import platform
import warnings
from pathlib import Path

import krippendorff
import numpy as np
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

OUT = Path(__file__).resolve().parent / "fixtures" / "stats_reference.json"
GRADES = [1, 2, 3, 4]


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


# --- Wilson -------------------------------------------------------------------------------------

# Published compliance shares (PRODUCT.md). The force published percentages of "at least 200
# incidents a year", not counts; these counts reproduce each published percentage when rounded.
SHARES = {
    "2022": (128, 198),  # 64.6 %
    "2023": (137, 198),  # 69.2 %
    "2024": (160, 200),  # 80 %
    "2025 H1": (88, 100),  # 88 %
}

WILSON_CASES = [
    ("n=1, none", 0, 1, 0.95),
    ("n=1, one", 1, 1, 0.95),
    ("n=2, none", 0, 2, 0.95),
    ("n=2, half", 1, 2, 0.95),
    ("n=2, all", 2, 2, 0.95),
    ("proportion 0 of 10", 0, 10, 0.95),
    ("proportion 1 of 10", 10, 10, 0.95),
    ("3 of 10", 3, 10, 0.95),
    ("3 of 10 at 90%", 3, 10, 0.90),
    ("3 of 10 at 99%", 3, 10, 0.99),
    ("3 of 10 at 50%", 3, 10, 0.50),
    ("7 of 9 at 80%", 7, 9, 0.80),
    ("1 of 1,000,000", 1, 1_000_000, 0.95),
    ("123,456 of 1,000,000", 123_456, 1_000_000, 0.95),
    ("999,999 of 1,000,000", 999_999, 1_000_000, 0.95),
    ("5e9 of 1e10", 5_000_000_000, 10_000_000_000, 0.99),
    ("0 of 1e10", 0, 10_000_000_000, 0.95),
] + [(f"compliance {year}", x, n, 0.95) for year, (x, n) in SHARES.items()]


def wilson_cases():
    out = []
    for name, x, n, conf in WILSON_CASES:
        lo, hi = proportion_confint(x, n, alpha=1 - conf, method="wilson")
        out.append({"name": name, "successes": x, "n": n, "confidence": conf,
                    "lo": float(lo), "hi": float(hi)})
    return out


# --- Two proportions ----------------------------------------------------------------------------

COMPARE_CASES = [
    ("compliance 2022 -> 2023", *SHARES["2022"], *SHARES["2023"], 0.95),
    ("compliance 2023 -> 2024", *SHARES["2023"], *SHARES["2024"], 0.95),
    ("compliance 2024 -> 2025 H1", *SHARES["2024"], *SHARES["2025 H1"], 0.95),
    ("compliance 2022 -> 2025 H1", *SHARES["2022"], *SHARES["2025 H1"], 0.95),
    ("compliance 2022 -> 2023 at 90%", *SHARES["2022"], *SHARES["2023"], 0.90),
    ("n=1 each, 0 -> 1", 0, 1, 1, 1, 0.95),
    ("n=1 each, 1 -> 0", 1, 1, 0, 1, 0.95),
    ("n=2 each, 1 -> 2", 1, 2, 2, 2, 0.95),
    ("proportion 0 -> proportion 1", 0, 10, 12, 12, 0.95),
    ("x = n in both groups (z undefined)", 10, 10, 20, 20, 0.95),
    ("x = 0 in both groups (z undefined)", 0, 15, 0, 40, 0.95),
    ("n=1 each, both all (z undefined)", 1, 1, 1, 1, 0.95),
    ("equal proportions", 5, 10, 10, 20, 0.95),
    ("small unequal groups", 3, 10, 7, 12, 0.99),
    ("large n", 412_345, 1_000_000, 413_999, 1_000_000, 0.95),
    ("large n, very different", 100_000, 1_000_000, 900_000, 1_000_000, 0.95),
    ("unbalanced sizes", 2, 5, 1500, 2000, 0.95),
]


def compare_cases():
    out = []
    for name, x_a, n_a, x_b, n_b, conf in COMPARE_CASES:
        a, b = x_a / n_a, x_b / n_b
        lo, hi = confint_proportions_2indep(x_b, n_b, x_a, n_a, method="newcomb",
                                            compare="diff", alpha=1 - conf)
        pooled = (x_a + x_b) / (n_a + n_b)
        if 0 < pooled < 1:
            z, p = proportions_ztest([x_b, x_a], [n_b, n_a])
            z, p = finite_or_none(z), finite_or_none(p)
            assert z is not None and p is not None, name
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                z, p = proportions_ztest([x_b, x_a], [n_b, n_a])
            # statsmodels gives nan (0/0) here: the statistic does not exist.
            assert not math.isfinite(z) and not math.isfinite(p), (name, z, p)
            z, p = None, None
        out.append({"name": name, "x_a": x_a, "n_a": n_a, "x_b": x_b, "n_b": n_b,
                    "confidence": conf, "a": a, "b": b, "difference": b - a,
                    "lo": float(lo), "hi": float(hi), "z": z, "p_value": p})
    return out


# --- Mean summary -------------------------------------------------------------------------------

# The six published quality-review grade distributions (PRODUCT.md): counts of grades 1..4 and
# the average as published.
REVIEWS = [
    ("April 2022", [1, 5, 3, 1], 2.4),
    ("September 2023", [0, 3, 4, 2], 2.9),
    ("April 2024", [0, 2, 2, 4], 3.25),
    ("October 2024", [1, 3, 4, 1], 2.87),
    ("March 2025", [0, 4, 2, 3], 2.9),
    ("September 2025", [0, 0, 7, 1], 3.125),
]


def expand(counts):
    return [float(g) for g, c in zip(GRADES, counts) for _ in range(c)]


def published_matches(mean, published):
    """Whether the published average is the mean rounded to the digits it was published with."""
    text = repr(published)
    digits = len(text.split(".")[1]) if "." in text else 0
    return abs(mean - published) <= 0.5 * 10 ** (-digits) + 1e-12


def summary(values, conf):
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = float(np.mean(x))
    median = float(np.median(x))
    if n < 2:
        return {"n": n, "mean": mean, "median": median, "sd": None, "ci_lo": None, "ci_hi": None}
    sd = float(np.std(x, ddof=1))
    if sd == 0:
        lo = hi = mean  # the contract: no spread, no width (scipy gives nan for scale 0)
    else:
        lo, hi = stats.t.interval(conf, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return {"n": n, "mean": mean, "median": median, "sd": sd, "ci_lo": float(lo),
            "ci_hi": float(hi)}


def summarise_cases():
    rng = np.random.default_rng(20220401)
    out = []
    for name, counts, published in REVIEWS:
        mean = float(np.mean(expand(counts)))
        out.append({"name": f"review {name}", "counts": counts, "confidence": 0.95,
                    "published_average": published,
                    "published_matches": published_matches(mean, published),
                    **summary(expand(counts), 0.95)})
    value_cases = [
        ("n=1", [3.0], 0.95),
        ("n=2", [2.0, 3.0], 0.95),
        ("n=2, far apart", [1.0, 4.0], 0.95),
        ("n=3 at 50%", [1.0, 2.0, 4.0], 0.50),
        ("all grades equal", [3.0] * 7, 0.95),
        ("n=2 equal", [2.0, 2.0], 0.95),
        ("April 2022 at 90%", expand([1, 5, 3, 1]), 0.90),
        ("April 2022 at 99%", expand([1, 5, 3, 1]), 0.99),
        ("unsorted decimals", [2.5, -1.25, 7.0, 3.3, 0.1, 9.75], 0.95),
        ("negative values", [-3.0, -1.0, -2.5, -10.0], 0.80),
        ("500 normal draws", [float(v) for v in rng.normal(50.0, 12.0, 500)], 0.95),
    ]
    for name, values, conf in value_cases:
        out.append({"name": name, "values": values, "confidence": conf,
                    **summary(values, conf)})
    # Large samples given as grade counts so the JSON stays small.
    for name, counts, conf in [
        ("1,001 grades (df 1000)", [200, 300, 350, 151], 0.95),
        ("1,002 grades (df 1001)", [200, 300, 350, 152], 0.95),
        ("5,000 grades at 80%", [1000, 1500, 1500, 1000], 0.80),
        ("20,001 grades at 50%", [5000, 5000, 5000, 5001], 0.50),
        ("30 grades at 99.9%", [3, 9, 12, 6], 0.999),
        ("100,000 grades", [25_000, 30_000, 35_000, 10_000], 0.95),
        ("2,000,000 grades", [100_000, 700_000, 900_000, 300_000], 0.99),
        ("all 4 of 1,000", [0, 0, 0, 1000], 0.95),
    ]:
        out.append({"name": name, "counts": counts, "confidence": conf,
                    **summary(expand(counts), conf)})
    return out


# --- Krippendorff's alpha -----------------------------------------------------------------------

N = None  # a missing grade


def krippendorff_2011_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
    # 12 units, values 1..5, with missing values.
    return [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    ]


def random_panel(seed, coders, units, missing):
    """Coders grading the same referrals: a true grade, each coder off by one sometimes and by
    two rarely, some grades missing."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(GRADES, size=units, p=[0.1, 0.35, 0.4, 0.15])
    rows = []
    for _ in range(coders):
        noise = rng.choice([-2, -1, 0, 1, 2], size=units, p=[0.03, 0.15, 0.64, 0.15, 0.03])
        grades = np.clip(truth + noise, 1, 4)
        rows.append([int(g) if rng.random() >= missing else N for g in grades])
    return rows


ALPHA_CASES = [
    ("2 coders, ten PPNs, within one grade",
     [[2, 3, 3, 1, 4, 2, 2, 3, 4, 2],
      [2, 3, 2, 2, 4, 2, 3, 3, 4, 2]]),
    ("2 coders, perfect agreement",
     [[1, 2, 3, 4, 2, 3], [1, 2, 3, 4, 2, 3]]),
    ("2 coders, disagreement beyond one grade",
     [[1, 4, 2, 3, 1, 4, 2, 3], [4, 1, 2, 3, 3, 2, 4, 1]]),
    ("2 coders, systematic disagreement (negative alpha)",
     [[1, 2, 3, 4, 1, 2, 3, 4], [4, 3, 2, 1, 4, 3, 2, 1]]),
    ("2 coders, one grade apart except one 1-vs-4",
     [[1, 2, 2, 3, 3, 4, 2, 1], [1, 2, 3, 3, 4, 4, 2, 4]]),
    ("3 coders, full data",
     [[2, 3, 3, 1, 4, 2, 2, 3, 4, 2],
      [2, 3, 2, 2, 4, 2, 3, 3, 4, 2],
      [3, 3, 3, 1, 4, 1, 2, 3, 3, 2]]),
    ("3 coders, missing grades and skipped units",
     [[2, N, 3, 1, 4, N, 2, 3, 4, 2],
      [2, 3, N, 2, N, 2, 3, 3, 4, N],
      [N, 3, 3, 1, 4, 1, N, N, 3, 2]]),
    ("units with one value are ignored",
     [[1, 2, 3, 4, N, N, 2],
      [1, 3, 3, 4, N, 4, N],
      [N, N, N, N, 2, N, N]]),
    ("only grades 2 and 3 used (unobserved values)",
     [[2, 3, 3, 2, 2, 3], [2, 3, 2, 2, 3, 3]]),
    ("only grades 1 and 4 used",
     [[1, 4, 4, 1, 1], [1, 4, 1, 1, 4]]),
    ("one pairable unit, two values",
     [[1, N, 3], [2, 4, N]]),
    ("one pairable unit, same value plus lone grades",
     [[2, N, 3], [2, 4, N]]),
    ("all grades equal", [[3, 3, 3, 3], [3, 3, 3, 3], [3, N, 3, 3]]),
    ("all pairable grades equal, other values alone",
     [[2, 2, 1, N], [2, 2, N, 4]]),
    ("no pairable unit", [[1, N, 3, N], [N, 2, N, 4]]),
    ("one coder only", [[1, 2, 3, 4]]),
    ("Krippendorff 2011 example (values 1..5)", krippendorff_2011_example()),
    ("3 coders, 200 referrals, 15% missing", random_panel(2024, 3, 200, 0.15)),
    ("2 coders, 60 referrals, 5% missing", random_panel(7, 2, 60, 0.05)),
    ("5 coders, 40 referrals, 30% missing", random_panel(99, 5, 40, 0.30)),
]


def alpha_or_none(data, level, domain):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                       value_domain=domain)
    except ValueError:
        # The package refuses data with no unit coded twice or a one-value domain.
        return None
    return finite_or_none(value)


def alpha_cases():
    rng = np.random.default_rng(1)
    out = []
    for name, rows in ALPHA_CASES:
        data = np.array([[np.nan if v is None else float(v) for v in row] for row in rows])
        observed = sorted({v for row in rows for v in row if v is not None})
        domain = list(range(min(1, observed[0]), max(4, observed[-1]) + 1))
        ordinal = alpha_or_none(data, "ordinal", domain)
        nominal = alpha_or_none(data, "nominal", domain)

        # The ordinal metric only depends on the marginal counts of values present: the
        # package's default (observed values) domain must give the same.
        if ordinal is not None:
            default = alpha_or_none(data, "ordinal", None)
            assert default is not None and abs(default - ordinal) < 1e-12, (name, default, ordinal)
        # Who gave which grade does not matter: shuffle each unit's grades across coders.
        shuffled = data.copy()
        for j in range(shuffled.shape[1]):
            shuffled[:, j] = rng.permutation(shuffled[:, j])
        for level, value in [("ordinal", ordinal), ("nominal", nominal)]:
            again = alpha_or_none(shuffled, level, domain)
            assert (again is None) == (value is None), (name, level)
            assert value is None or abs(again - value) < 1e-12, (name, level, again, value)

        units = [[int(v) for v in data[:, j] if not np.isnan(v)] for j in range(data.shape[1])]
        out.append({"name": name, "coders": len(rows), "units": units, "value_domain": domain,
                    "ordinal": ordinal, "nominal": nominal})
    return out


def main():
    versions = {pkg: importlib.metadata.version(pkg)
                for pkg in ["numpy", "scipy", "statsmodels", "krippendorff"]}
    versions["python"] = platform.python_version()
    doc = {
        "generated_by": "crates/domain/tests/make_stats_fixtures.py",
        "versions": versions,
        "notes": [
            "confidence is two-sided coverage; alpha = 1 - confidence.",
            "compare: difference is b - a; lo/hi is Newcombe's hybrid score interval (method 10);"
            " z and p_value are the pooled two-proportion z test, null when the pooled"
            " proportion is 0 or 1.",
            "Compliance counts are illustrative: only percentages of 'at least 200' were"
            " published; 128/198, 137/198, 160/200 and 88/100 reproduce 64.6%, 69.2%, 80%, 88%.",
            "summarise: sd has divisor n - 1; ci is the Student-t interval; sd == 0 gives"
            " [mean, mean]; null when n < 2. 'counts' are counts of grades 1..4 to expand.",
            "alpha: 'units' lists each unit's values (missing grades absent); computed by"
            " krippendorff.alpha on coders x units data with value_domain as given; null means"
            " undefined (no pairable unit, or no variation).",
            "Review October 2024: the published distribution 1,3,4,1 has mean 23/9 = 2.56, not"
            " the published 2.87 (published_matches is false).",
        ],
        "wilson": wilson_cases(),
        "compare": compare_cases(),
        "summarise": summarise_cases(),
        "alpha": alpha_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}: {sum(len(doc[k]) for k in ['wilson', 'compare', 'summarise', 'alpha'])}"
          " cases")


if __name__ == "__main__":
    main()
