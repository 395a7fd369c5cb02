#!/usr/bin/env python3
"""Makes the seed corpus in fuzz/seeds/<target>/ from the domain's test fixtures and a few
small files written here (valid and broken). Targets whose first byte picks a kind get that
byte in front. Run from anywhere: python3 fuzz/make_seeds.py"""
import os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "crates", "domain", "tests", "fixtures")
SEEDS = os.path.join(HERE, "seeds")


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def put(target, name, data, kind=None):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    if kind is not None:
        data = bytes([kind]) + data
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


shutil.rmtree(SEEDS, ignore_errors=True)

people = ["people-bad-dates.csv", "people-duplicate-staff.csv", "people-empty.csv",
          "people-good.csv", "people-header-only.csv", "people-utf16le-tab.txt",
          "people-windows-1252.csv", "people-wrong-columns.csv", "not-a-spreadsheet.png"]
for name in people:
    put("people", name, fixture(name))
put("people", "old-mac.csv", fixture("people-good.csv").replace(b"\n", b"\r"))
put("people", "quoted-break.csv", b'staff_number,first_name\n"S1","Jo\nAnn"\n')

workbooks = ["people.xlsx", "far-column.xlsx", "far-row.xlsx", "training/training-clean.xlsx",
             "training/training-messy.xlsx"]
for name in workbooks:
    put("xlsx", os.path.basename(name), fixture(name))
    put("people", os.path.basename(name), fixture(name))
put("xlsx", "truncated.xlsx", fixture("people.xlsx")[:2000])

for i, name in enumerate(["training/cpd-clean.csv", "training/cpd-messy.csv",
                          "training/training-clean.xlsx", "training/training-messy.xlsx"]):
    kind = 1 if "cpd" in name else 0
    put("training", os.path.basename(name), fixture(name), kind)
put("training", "title-above.csv",
    b"Initial training record\n\nCollar No,Module,Date completed,Signed off\n"
    b"S1,Core,01/02/2024,yes\nS2,Core,31/02/2024,no\n", 0)

audit = (b"period_start,period_end,examined,required,completed_when_required,not_required,"
         b"completed_when_not_required\n2023-01-01,2023-02-28,50,20,15,30,2\n"
         b"2023-03-01,2023-02-01,50,60,70,1,2\n2023-05-01,2023-06-30,x,1,1,1,1\n")
review = (b"period_start,period_end,grade_1,grade_2,grade_3,grade_4\n"
          b"2023-01-01,2023-03-31,1,5,10,2\n01/04/2023,30/06/2023,0,0,0,0\n")
put("history", "audit.csv", audit, 0)
put("history", "review.csv", review, 1)
put("history", "review-semicolons.csv", review.replace(b",", b";"), 1)

register = [("incidents-bad.csv", 0), ("incidents-messy.csv", 0),
            ("incidents-other-layout.csv", 0), ("referrals-1252.csv", 1),
            ("outcomes-friendly.tsv", 2), ("outcomes-unknown-referral.csv", 2),
            ("referral-people.csv", 3)]
for name, kind in register:
    put("register", name, fixture("register/" + name), kind)
put("register", "utf16.csv",
    b"\xff\xfe" + fixture("register/incidents-messy.csv").decode("utf-8-sig").encode("utf-16-le"), 0)

sectioned = open(os.path.join(HERE, "..", "crates", "domain", "src", "teams_report.rs"),
                 encoding="utf-8").read()


def rust_const(name):
    start = sectioned.index(f"const {name}: &str = \"") + len(f"const {name}: &str = \"")
    end = sectioned.index('";', start)
    text = sectioned[start:end].replace("\\n\\\n", "\n").replace("\\t", "\t").replace("\\n", "\n")
    return text


gb = rust_const("SECTIONED_GB")
us = rust_const("LEGACY_US")
put("teams_report", "sectioned-gb.txt", b"\xff\xfe" + gb.encode("utf-16-le"))
put("teams_report", "sectioned-gb-utf8.csv", gb.replace("\t", ",").encode("utf-8"))
put("teams_report", "legacy-us.txt", us.encode("utf-8"))
put("teams_report", "empty-sections.txt",
    b"1. Summary\nMeeting title\tx\n\n2. Participants\nName\tFirst Join\n\n3. In-Meeting Activities\nName\tJoin Time\n")
