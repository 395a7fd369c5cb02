#!/usr/bin/env python3
"""Reference values for the SPC charts in crates/domain/src/impact/, written to
fixtures/impact_spc.json.

The unit tests in crates/domain/src/impact/fixture_tests.rs check every value here (numbers to
1e-12, flags and point types exactly). CI does not run this script; re-run it by hand after
changing a case and commit the JSON with it:

    python3 -m venv /tmp/impactvenv
    /tmp/impactvenv/bin/pip install numpy scipy
    /tmp/impactvenv/bin/python crates/domain/tests/make_impact_fixtures.py

This is a second, deliberately plain implementation of the definitions (it shares no code with
the Rust): rules are checked window by window rather than run by run.
  * p: cl = sum(y)/sum(n); sd_i = sqrt(cl(1-cl)/n_i); limits cl +- 3 sd_i, 2-sigma lines
    cl +- 2 sd_i, clipped to [0, 1].
  * p': z_i = (p_i - cl)/sd_i; sigma_z = mean(|z_i - z_(i-1)|)/1.128; sd_i scaled by sigma_z.
  * XmR: cl = mean; moving ranges >= 3.267 x their mean dropped, the rest averaged (MRbar);
    limits cl +- 2.66 MRbar, 2-sigma lines cl +- (2/3) 2.66 MRbar.
  * run: cl = median, no limits.
  * Segments: the chart splits at each recalc_from index; each segment's lines come from its own
    points, the first segment's from `baseline` (0-based, end exclusive) when given. The rules
    run within each segment.
  * Rules: outside (strictly beyond a limit); close (strictly beyond the 2-sigma line, not
    outside); shift (7 in a row strictly on one side); trend (7 in a row each strictly higher,
    or lower, than the one before); two in three (3 in a row on one side, at least 2 close: the
    close ones). Type from the first of outside, trend, two in three, shift; a point in a rising
    and a falling trend takes the earlier window's direction.
  * Anhoej: points on the centre dropped; longest_run_max = round(log2(n)) + 3;
    n_crossings_min = scipy.stats.binom.ppf(0.05, n - 1, 0.5); null limits when n = 0.
"""

import importlib.metadata
import json
import math
import platform
from pathlib import Path

import numpy as np
from scipy import stats

OUT = Path(__file__).parent / "fixtures" / "impact_spc.json"


# --- Lines --------------------------------------------------------------------------------------

def rate_lines(num, den, pts, basis, laney):
    cl = np.sum(num[basis]) / np.sum(den[basis])
    sigma_z = 1.0
    if laney:
        z = []
        for i in basis:
            sd = math.sqrt(cl * (1 - cl) / den[i])
            z.append((num[i] / den[i] - cl) / sd if sd > 0 else 0.0)
        sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    out = []
    for i in pts:
        s = math.sqrt(cl * (1 - cl) / den[i]) * sigma_z
        clip = lambda v: min(1.0, max(0.0, v))
        out.append((cl, clip(cl - 3 * s), clip(cl + 3 * s), clip(cl - 2 * s), clip(cl + 2 * s)))
    return out


def xmr_lines(y, pts, basis):
    values = y[basis]
    cl = np.mean(values)
    mr = np.abs(np.diff(values))
    kept = mr[mr < 3.267 * np.mean(mr)]
    mr_bar = np.mean(kept) if len(kept) else 0.0
    half = 2.66 * mr_bar
    return [(cl, cl - half, cl + half, cl - half * 2 / 3, cl + half * 2 / 3) for _ in pts]


def run_lines(y, pts, basis):
    cl = np.median(y[basis])
    return [(cl, None, None, None, None) for _ in pts]


def segments(n, baseline, recalc):
    starts = [0] + list(recalc)
    ends = list(recalc) + [n]
    segs = [(list(range(s, e)), list(range(s, e))) for s, e in zip(starts, ends)]
    if baseline is not None:
        segs[0] = (segs[0][0], list(range(*baseline)))
    return segs


# --- Rules --------------------------------------------------------------------------------------

def side(y, cl):
    return 1 if y > cl else (-1 if y < cl else 0)


def rules(points):
    """Apply the rules to one segment's points (dicts with y, cl, lcl, ucl, ...)."""
    n = len(points)
    d = [dict(outside=None, trend=None, two=None, shift=None) for _ in range(n)]
    sides = [side(p["y"], p["cl"]) for p in points]
    close = []
    for i, p in enumerate(points):
        if p["ucl"] is not None and p["y"] > p["ucl"]:
            d[i]["outside"] = 1
        elif p["lcl"] is not None and p["y"] < p["lcl"]:
            d[i]["outside"] = -1
        up = p["ucl"] is not None and p["ucl_2sigma"] < p["y"] <= p["ucl"]
        down = p["lcl"] is not None and p["lcl"] <= p["y"] < p["lcl_2sigma"]
        close.append(up or down)
    for w in range(n - 6):
        ys = [points[i]["y"] for i in range(w, w + 7)]
        for direction in (1, -1):
            if all((ys[j + 1] - ys[j]) * direction > 0 for j in range(6)):
                for i in range(w, w + 7):
                    if d[i]["trend"] is None:
                        d[i]["trend"] = direction
        window_sides = set(sides[w:w + 7])
        if len(window_sides) == 1 and 0 not in window_sides:
            for i in range(w, w + 7):
                d[i]["shift"] = sides[w]
    for w in range(n - 2):
        window_sides = set(sides[w:w + 3])
        if len(window_sides) == 1 and 0 not in window_sides and sum(close[w:w + 3]) >= 2:
            for i in range(w, w + 3):
                if close[i]:
                    d[i]["two"] = sides[w]
    return d, close


def point_type(found, improvement):
    for key in ("outside", "trend", "two", "shift"):
        if found[key] is not None:
            good = found[key] == (1 if improvement == "increase" else -1)
            return "special_cause_improvement" if good else "special_cause_concern"
    return "common_cause"


def anhoej(points):
    sides = [side(p["y"], p["cl"]) for p in points if p["y"] != p["cl"]]
    n = len(sides)
    longest, run = 0, 0
    for i, s in enumerate(sides):
        run = run + 1 if i > 0 and sides[i - 1] == s else 1
        longest = max(longest, run)
    crossings = sum(1 for a, b in zip(sides, sides[1:]) if a != b)
    run_max = int(round(math.log2(n))) + 3 if n > 0 else None
    cross_min = int(stats.binom.ppf(0.05, n - 1, 0.5)) if n > 0 else None
    signal = (run_max is not None and longest > run_max) or \
             (cross_min is not None and crossings < cross_min)
    return {"n_useful": n, "longest_run": longest, "longest_run_max": run_max,
            "n_crossings": crossings, "n_crossings_min": cross_min, "runs_signal": signal}


# --- Charts -------------------------------------------------------------------------------------

def chart(name, kind, improvement, data, baseline=None, recalc=()):
    labels = [d[0] for d in data]
    n = len(data)
    if kind in ("p", "p_prime"):
        num = np.array([d[1] for d in data], dtype=float)
        den = np.array([d[2] for d in data], dtype=float)
        y = num / den
        inputs = [{"label": d[0], "numerator": d[1], "denominator": d[2]} for d in data]
    else:
        y = np.array([d[1] for d in data], dtype=float)
        inputs = [{"label": d[0], "value": d[1]} for d in data]
    points = []
    for pts, basis in segments(n, baseline, recalc):
        if kind in ("p", "p_prime"):
            lines = rate_lines(num, den, pts, basis, kind == "p_prime")
        elif kind == "xmr":
            lines = xmr_lines(y, pts, basis)
        else:
            lines = run_lines(y, pts, basis)
        seg = []
        for i, (cl, lcl, ucl, lcl2, ucl2) in zip(pts, lines):
            f = lambda v: None if v is None else float(v)
            seg.append({"label": labels[i], "y": float(y[i]), "cl": float(cl), "lcl": f(lcl),
                        "ucl": f(ucl), "lcl_2sigma": f(lcl2), "ucl_2sigma": f(ucl2)})
        found, close = rules(seg)
        for p, fd, c in zip(seg, found, close):
            p.update({"outside_limits": fd["outside"] is not None, "close_to_limits": c,
                      "part_of_7_point_shift": fd["shift"] is not None,
                      "part_of_7_point_trend": fd["trend"] is not None,
                      "part_of_2_in_3": fd["two"] is not None,
                      "point_type": point_type(fd, improvement)})
        points.extend(seg)
    return {"name": name, "chart": kind, "improvement": improvement,
            "baseline": list(baseline) if baseline is not None else None,
            "recalc_from": list(recalc), "inputs": inputs,
            "expected": {"chart": kind, "centre": points[-1]["cl"], "points": points,
                         "anhoej": anhoej(points)}}


def quarters(n, start=2022):
    return [f"{start + i // 4} Q{i % 4 + 1}" for i in range(n)]


def rate_series(seed, n, size, p0, step_at=None, step=0.0):
    rng = np.random.default_rng(seed)
    out = []
    for i, label in enumerate(quarters(n)):
        den = int(rng.integers(size // 2, size * 3 // 2))
        p = p0 + (step if step_at is not None and i >= step_at else 0.0)
        out.append((label, int(rng.binomial(den, p)), den))
    return out


def value_series(seed, n, mean, sd, outliers=()):
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(mean, sd, n), 1)
    for i, v in outliers:
        values[i] = v
    return [(label, float(v)) for label, v in zip(quarters(n), values)]


def cases():
    shifted = rate_series(1, 16, 120, 0.55, step_at=8, step=0.15)
    large = rate_series(2, 20, 4000, 0.62, step_at=12, step=0.02)
    days = value_series(3, 20, 12.0, 2.0, outliers=[(6, 30.0)])
    rising = [(label, 10.0 + i * 0.8 + (0.3 if i % 3 == 0 else 0.0))
              for i, label in enumerate(quarters(14))]
    near_zero = rate_series(4, 12, 40, 0.03)
    near_one = rate_series(5, 12, 30, 0.97)
    return [
        chart("p chart, step up after 2 years", "p", "increase", shifted),
        chart("p chart, step up, limits from the 2022 quarters", "p", "increase", shifted,
              baseline=(0, 4)),
        chart("p chart, step up, recalculated from 2024 Q1", "p", "increase", shifted,
              recalc=(8,)),
        chart("p chart, large denominators", "p", "increase", large),
        chart("p' chart, large denominators", "p_prime", "increase", large),
        chart("p' chart, large denominators, decrease is better", "p_prime", "decrease", large),
        chart("p' chart, recalculated from 2025 Q1 with a 2022 baseline", "p_prime", "increase",
              large, baseline=(0, 4), recalc=(12,)),
        chart("p chart near 0 (lower limits clipped)", "p", "decrease", near_zero),
        chart("p chart near 1 (upper limits clipped)", "p", "increase", near_one),
        chart("XmR, days to referral with one outlier", "xmr", "decrease", days),
        chart("XmR, days to referral, two recalculations", "xmr", "decrease", days,
              recalc=(7, 14)),
        chart("XmR, rising values", "xmr", "increase", rising),
        chart("run chart, days to referral", "run", "decrease", days),
        chart("run chart, rising values", "run", "increase", rising),
        chart("run chart, baseline of 6", "run", "increase", rising, baseline=(0, 6)),
    ]


def main():
    versions = {pkg: importlib.metadata.version(pkg) for pkg in ["numpy", "scipy"]}
    versions["python"] = platform.python_version()
    doc = {
        "generated_by": "crates/domain/tests/make_impact_fixtures.py",
        "versions": versions,
        "notes": [
            "inputs: {label, numerator, denominator} for p and p_prime, {label, value} otherwise.",
            "baseline: [start, end) 0-based or null; recalc_from: 0-based indices.",
            "expected: the chart JSON (warnings are not included).",
        ],
        "cases": cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}: {len(doc['cases'])} charts")


if __name__ == "__main__":
    main()
