"""Scores the extractor against the hand-written gold file (tests/gold/corpus.json).

Run ``python tests/gold_scoring.py`` to print the per-field table.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = Path(__file__).with_name("gold") / "corpus.json"
RELATION_STRENGTH = {"studied": 3, "applied": 2, "cited": 1}
IGNORED = re.compile(r"[\s\"'“”]")


def name_key(name: str) -> str:
    return IGNORED.sub("", name)


def f1(extracted: set, gold: set) -> tuple[float, float, float]:
    hit = len(extracted & gold)
    precision = hit / len(extracted) if extracted else 1.0
    recall = hit / len(gold) if gold else 1.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, score


def strongest_relations(laws) -> dict[str, str]:
    best: dict[str, str] = {}
    for law in laws:
        if law["title"] not in best or RELATION_STRENGTH[law["relation"]] > RELATION_STRENGTH[best[law["title"]]]:
            best[law["title"]] = law["relation"]
    return best


def score(extract) -> dict:
    """``extract(path) -> dict`` in the ``fzkg extract --format json`` shape; returns the score table."""
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["reports"]
    totals = {"jurisdiction": 0, "level": 0, "code": 0, "parents": 0, "year": 0, "publisher": 0,
              "publisher_cases": 0, "title": 0, "title_cases": 0, "published": 0}
    laws_x, laws_g, pi_x, pi_g, fig_x, fig_hit = set(), set(), set(), set(), 0, 0
    relation_hits = relation_total = 0
    details = []
    for entry in gold:
        got = extract(ROOT / entry["file"])
        g_j, x_j = entry["jurisdiction"], got["jurisdiction"] or {}
        totals["jurisdiction"] += x_j.get("name") == g_j["name"]
        totals["level"] += x_j.get("level") == g_j["level"]
        totals["code"] += x_j.get("code") == g_j["code"]
        totals["parents"] += x_j.get("parents") == g_j["parents"]
        totals["year"] += got["year"] == entry["year"]
        totals["published"] += got["published"] == entry["published"]
        totals["publisher"] += got["publisher"] == entry["publisher"]
        totals["publisher_cases"] += 1
        if entry["title"]:
            totals["title_cases"] += 1
            totals["title"] += got["title"] == entry["title"]
        tag = entry["file"]
        x_laws, g_laws = strongest_relations(got["laws"]), strongest_relations(entry["laws"])
        laws_x |= {(tag, t) for t in x_laws}
        laws_g |= {(tag, t) for t in g_laws}
        for title, relation in g_laws.items():
            if title in x_laws:
                relation_total += 1
                relation_hits += x_laws[title] == relation
        x_pi = {name_key(p["name"]) for p in got["programs"] + got["initiatives"]}
        g_pi = {name_key(n) for n in entry["programs_initiatives"]}
        pi_x |= {(tag, n) for n in x_pi}
        pi_g |= {(tag, n) for n in g_pi}
        gold_figures = {(float(v), u, a) for v, u, a in entry["figures"]}
        for figure in got["figures"]:
            fig_x += 1
            fig_hit += (float(figure["value"]), figure["unit"], figure["approx"]) in gold_figures
        details.append({"file": tag, "missing_pi": sorted(g_pi - x_pi), "extra_pi": sorted(x_pi - g_pi),
                        "missing_laws": sorted(set(g_laws) - set(x_laws)), "extra_laws": sorted(set(x_laws) - set(g_laws)),
                        "wrong_figures": [(f["what"], f["value"], f["unit"], f["approx"]) for f in got["figures"]
                                          if (float(f["value"]), f["unit"], f["approx"]) not in gold_figures]})
    n = len(gold)
    return {
        "reports": n,
        "jurisdiction name": totals["jurisdiction"] / n, "jurisdiction level": totals["level"] / n,
        "jurisdiction code": totals["code"] / n, "parent chain": totals["parents"] / n,
        "year": totals["year"] / n, "published": totals["published"] / n,
        "publisher": totals["publisher"] / totals["publisher_cases"],
        "title (where the text has one)": totals["title"] / max(1, totals["title_cases"]),
        "laws P/R/F1": f1(laws_x, laws_g), "law relation accuracy": relation_hits / max(1, relation_total),
        "programs+initiatives P/R/F1": f1(pi_x, pi_g),
        "figures precision": fig_hit / fig_x if fig_x else 1.0, "figures extracted": fig_x,
        "details": details,
    }


def format_table(result: dict) -> str:
    rows = []
    for key, value in result.items():
        if key == "details":
            continue
        if isinstance(value, tuple):
            value = " / ".join(f"{v:.3f}" for v in value)
        elif isinstance(value, float):
            value = f"{value:.3f}"
        rows.append(f"| {key} | {value} |")
    return "| field | score |\n|---|---|\n" + "\n".join(rows)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    from ingest.pipeline import extract_file

    result = score(lambda path: extract_file(path).to_json())
    print(format_table(result))
    for detail in result["details"]:
        print(json.dumps(detail, ensure_ascii=False))
