#!/usr/bin/env python3
"""Reference values for crates/domain/src/impact/effect.rs, written to fixtures/impact_effect.json.

The unit tests in crates/domain/src/impact/fixture_tests.rs check every value here to 1e-6. CI
does not run this script; re-run it by hand after changing a case and commit the JSON with it:

    python3 -m venv /tmp/impactvenv
    /tmp/impactvenv/bin/pip install numpy pandas statsmodels
    /tmp/impactvenv/bin/python crates/domain/tests/make_effect_fixtures.py

Source of truth: statsmodels, with dense dummies for officer and quarter,
    ols("y ~ treated + C(officer) + C(quarter)").fit(cov_type="cluster",
                                                    cov_kwds={"groups": officer})
and for the event study the same with one dummy per relative quarter (-4 and earlier pooled into
-4, 4 and later into 4, -1 left out as the reference, none for never-trained officers) in place
of `treated`. A relative-quarter bin with no referral has no column (and a null expectation).

Each row is [officer_id, quarter, trained_quarter or null, outcome 0/1]. Quarters are integers
year * 4 + q - 1; a referral is treated from its officer's training quarter on.
"""

import importlib.metadata
import json
import platform
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

OUT = Path(__file__).parent / "fixtures" / "impact_effect.json"
BINS = [-4, -3, -2, 0, 1, 2, 3, 4]


def bin_name(b):
    return f"ev_m{-b}" if b < 0 else f"ev_p{b}"


def staggered_panel(seed, trained, never, quarters, mean_referrals, effect):
    """Officers with their own propensity; trained officers trained in a staggered quarter;
    a random number of referrals per officer in random quarters (unbalanced); the outcome's
    probability rises by `effect` after training, more in later quarters after it."""
    rng = np.random.default_rng(seed)
    first = 2022 * 4  # 2022 Q1
    rows = []
    ids = rng.choice(np.arange(100, 100 + 50 * (trained + never)), trained + never, replace=False)
    for k, officer in enumerate(ids):
        trained_q = None
        if k < trained:
            trained_q = first + int(rng.integers(2, quarters - 2))
        base = rng.uniform(0.2, 0.6)
        n = max(1, int(rng.poisson(mean_referrals)))
        for _ in range(n):
            q = first + int(rng.integers(0, quarters))
            p = base + 0.01 * (q - first)
            if trained_q is not None and q >= trained_q:
                p += effect + 0.02 * min(q - trained_q, 4)
            rows.append([int(officer), q, trained_q, int(rng.random() < min(max(p, 0), 1))])
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def frame(rows):
    df = pd.DataFrame(rows, columns=["officer", "quarter", "trained_quarter", "y"])
    df["trained_quarter"] = df["trained_quarter"].astype("float")
    rel = df["quarter"] - df["trained_quarter"]
    df["treated"] = (rel >= 0).astype(float)  # NaN (never trained) compares false
    df["bin"] = rel.clip(-4, 4)
    for b in BINS:
        df[bin_name(b)] = (df["bin"] == b).astype(float)
    return df


def cluster_fit(formula, df):
    model = smf.ols(formula, data=df)
    return model.fit(cov_type="cluster", cov_kwds={"groups": df["officer"]})


def rate(series):
    return {"n": int(len(series)), "rate": float(series.mean()) if len(series) else None}


def case(name, rows):
    df = frame(rows)
    fit = cluster_fit("y ~ treated + C(officer) + C(quarter)", df)
    lo, hi = fit.conf_int().loc["treated"]
    present = [b for b in BINS if df[bin_name(b)].sum() > 0]
    es_formula = "y ~ " + " + ".join(bin_name(b) for b in present) + " + C(officer) + C(quarter)"
    es = cluster_fit(es_formula, df)
    assert np.linalg.matrix_rank(es.model.exog) == es.model.exog.shape[1], name
    event = {}
    for b in BINS:
        if b in present:
            event[str(b)] = {"estimate": float(es.params[bin_name(b)]),
                             "se": float(es.bse[bin_name(b)])}
        else:
            event[str(b)] = {"estimate": None, "se": None}
    trained = df["trained_quarter"].notna()
    officers = df.groupby("officer")["trained_quarter"].first()
    return {
        "name": name,
        "rows": rows,
        "counts": {
            "referrals": len(df),
            "officers": int(df["officer"].nunique()),
            "officers_trained": int(officers.notna().sum()),
            "officers_never_trained": int(officers.isna().sum()),
            "quarters": int(df["quarter"].nunique()),
        },
        "estimate": float(fit.params["treated"]),
        "se": float(fit.bse["treated"]),
        "ci95": [float(lo), float(hi)],
        "p_value": float(fit.pvalues["treated"]),
        "event_study": event,
        "descriptive": {
            "trained_before": rate(df.loc[trained & (df["treated"] == 0), "y"]),
            "trained_after": rate(df.loc[df["treated"] == 1, "y"]),
            "never_trained": rate(df.loc[~trained, "y"]),
        },
    }


def main():
    versions = {pkg: importlib.metadata.version(pkg)
                for pkg in ["numpy", "pandas", "statsmodels"]}
    versions["python"] = platform.python_version()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [
            case("staggered panel: 40 trained, 20 never trained, 12 quarters",
                 staggered_panel(20230401, 40, 20, 12, 6, 0.08)),
            case("tiny panel: 20 trained, 10 never trained, 6 quarters",
                 staggered_panel(7, 20, 10, 6, 2.5, 0.15)),
            case("no effect: 25 trained, 15 never trained, 10 quarters",
                 staggered_panel(99, 25, 15, 10, 5, 0.0)),
        ]
    doc = {
        "generated_by": "crates/domain/tests/make_effect_fixtures.py",
        "versions": versions,
        "notes": [
            "rows: [officer_id, quarter (year*4 + q - 1), trained_quarter or null, outcome].",
            "estimate/se/ci95/p_value: coefficient of treated in ols('y ~ treated + C(officer)"
            " + C(quarter)') with cov_type='cluster' by officer (CRV1, normal).",
            "event_study: the same with relative-quarter dummies (-1 the reference, +-4 pooled)"
            " in place of treated; null for a bin with no referral.",
        ],
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}: {len(cases)} cases, "
          f"{sum(len(c['rows']) for c in cases)} rows")


if __name__ == "__main__":
    main()
