"""Answer rows grouped and paged in SQL, from the summaries.

The graph answers an aggregate question with one row per evidence sentence, which
:mod:`search.questions.answer` groups in Python. On 100,000 reports a common program has
hundreds of thousands of such rows — seconds to read, tens of megabytes to send. Here the
summaries' tables (:class:`search.summaries.SummaryStore`) do the grouping: the counts of every
group come from one pass over an index, without a sentence, and sentences are read only for the
groups on the page, and of those only the first ones. The result is what the graph path gives
cut by the same :class:`~search.questions.rows.Paging`; ``tests/test_summaries.py`` holds the two
equal.

Two passes, each one SQL statement:

1. per matching report, how many distinct sentences match (``per_report``), the reports the
   question's filters keep (``chosen``), and from them the groups with their counts — and, where
   the page needs every group anyway, which reports hold each group's first sentences;
2. the sentences of those reports only.
"""
from __future__ import annotations

from collections import defaultdict

from ontology import jurisdiction_iri
from search.questions.rows import Evidence, Paging, Row

#: stands for "no limit" where SQL wants a number
_UNLIMITED = 1 << 62


def _limit(value: int | None) -> int:
    return _UNLIMITED if value is None else value


def _values(rows: list[tuple]) -> tuple[str, list]:
    """A VALUES list of ``rows`` and its parameters."""
    width = len(rows[0])
    marks = "(" + ", ".join("?" * width) + ")"
    return ", ".join(marks for _ in rows), [value for row in rows for value in row]


def _chosen(pairs: list[tuple[int, str]], selection, first_year: bool) -> tuple[str, list]:
    """The CTEs ``per_report`` … ``chosen``: (rid, report, code, name, level, year, sentences) of
    each report the selection keeps, ``sentences`` counting its matching sentences once each."""
    # one index range per pair: (object, relation, report, start) is covered by an index
    matched = " UNION ALL ".join("SELECT report, start FROM mentions WHERE object = ? AND relation = ?"
                                 for _ in pairs)
    params = [value for pair in pairs for value in pair] + list(selection.params)
    chosen = "SELECT * FROM selected"
    if first_year:
        chosen += " WHERE year = (SELECT MIN(year) FROM selected)"
    return f"""
        WITH per_report AS (SELECT report AS rid, COUNT(DISTINCT start) AS sentences FROM ({matched}) GROUP BY report),
        selected AS MATERIALIZED (
          SELECT r.id AS rid, r.report, r.code, r.name, r.level, r.year, p.sentences
          FROM per_report p JOIN reports r ON r.id = p.rid WHERE {selection.where}),
        chosen AS MATERIALIZED ({chosen})""", params


def _sentences(connection, pairs: list[tuple[int, str]], reports: list[int]) -> dict[int, list[tuple]]:
    """rid → the (start, end, text) of its matching sentences, in order, each once."""
    found: dict[int, set[tuple]] = defaultdict(set)
    if not reports:
        return {}
    pair_rows, pair_params = _values(pairs)
    report_rows, report_params = _values([(rid,) for rid in reports])
    for rid, start, end, text in connection.execute(f"""
            WITH pairs (object, relation) AS (VALUES {pair_rows}),
            wanted (rid) AS (VALUES {report_rows})
            SELECT w.rid, m.start, m.end, s.text
            FROM wanted w JOIN pairs p
            -- "+": through the primary key (report, object, relation …), not the object index, which
            -- would walk every report naming the object
            JOIN mentions m ON m.report = w.rid AND +m.object = p.object AND +m.relation = p.relation
            JOIN sentences s ON s.report = m.report AND s.start = m.start AND s.end = m.end""",
            pair_params + report_params):
        found[rid].add((start, end, text))
    return {rid: sorted(spans) for rid, spans in found.items()}


def _evidence(sentences: dict[int, list[tuple]], reports: list[tuple], limit: int | None) -> list[Evidence]:
    """The first ``limit`` of the ``sentences`` (of :func:`_sentences`) of ``reports`` ((rid,
    report id) in the group's order)."""
    evidence = []
    for rid, report in reports:
        for start, end, text in sentences.get(rid, ()):
            if limit is not None and len(evidence) >= limit:
                return evidence
            evidence.append(Evidence(report, text, start, end))
    return evidence


def statement_groups(summaries, values: dict, paging: Paging, group: str = "jurisdiction",
                     first_year: bool = False) -> tuple[int, list[Row]] | None:
    """The rows (all of them counted, the page of them built) of ``jurisdictions_with.rq``
    (``first_year``: ``first_mention.rq``) bound with ``values``, grouped by ``"jurisdiction"``
    or by ``"year"`` as :func:`search.questions.answer._by_jurisdiction` and ``_by_year`` group
    them; None when the summaries do not answer this binding.

    >>> total, rows = statement_groups(summaries, values, Paging(limit=20))   # doctest: +SKIP
    >>> rows[0].label, rows[0].evidence_count, len(rows[0].evidence)          # doctest: +SKIP
    ('甘谷县', 31, 10)
    """
    selection = summaries.statement_selection(values, first_year)
    if selection is None:
        return None
    with summaries.reading() as connection:
        pairs = summaries.object_relation_pairs(connection, selection)
        if not pairs:
            return 0, []
        if group == "year":
            return _by_year(connection, pairs, selection, paging)
        return _by_jurisdiction(connection, pairs, selection, paging, first_year)


def _by_jurisdiction(connection, pairs, selection, paging: Paging, first_year: bool) -> tuple[int, list[Row]]:
    chosen, params = _chosen(pairs, selection, first_year)
    groups = []
    for code, name, level, years, sentences in connection.execute(f"""{chosen}
            SELECT code, MIN(name), MIN(level), group_concat(DISTINCT year), SUM(sentences)
            FROM chosen GROUP BY code""", params):
        listed = sorted({int(year) for year in years.split(",")}) if years else []
        groups.append((listed[:1] or [9999], code, name, level, listed, sentences))
    groups.sort(key=lambda entry: (entry[0], entry[1]))
    page = [groups[i] for i in paging.window(len(groups))]
    if not page:
        return len(groups), []
    # the page's reports, in each group's order, as far as its first sentences reach
    codes, code_params = _values([(entry[1],) for entry in page])
    pair_rows, pair_params = _values(pairs)
    year_filter = ""
    year_params: list = []
    if first_year:
        year_filter = " AND r.year = ?"
        year_params = [page[0][4][0]]
    reports: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for rid, report, code in connection.execute(f"""
            WITH pairs (object, relation) AS (VALUES {pair_rows}),
            page (code) AS (VALUES {codes}),
            per_report AS (
              SELECT r.id AS rid, r.report, r.code, r.year, COUNT(DISTINCT m.start) AS sentences
              -- the page's places, their reports by code, their mentions by primary key: CROSS JOIN
              -- keeps that order (the planner would walk every report of the year instead)
              FROM page g CROSS JOIN reports r ON r.code = g.code CROSS JOIN pairs p
              CROSS JOIN mentions m ON m.report = r.id AND +m.object = p.object AND +m.relation = p.relation
              WHERE {selection.where}{year_filter} GROUP BY r.id),
            ranked AS (
              SELECT rid, report, code, year,
                     SUM(sentences) OVER (PARTITION BY code ORDER BY year, report ROWS UNBOUNDED PRECEDING)
                       - sentences AS before
              FROM per_report)
            SELECT rid, report, code FROM ranked WHERE before < ? ORDER BY code, year, report""",
            pair_params + code_params + list(selection.params) + year_params + [_limit(paging.evidence)]):
        reports[code].append((rid, report))
    texts = _sentences(connection, pairs, [rid for entries in reports.values() for rid, _ in entries])
    rows = []
    for _, code, name, level, years, sentences in page:
        row = Row(name, str(jurisdiction_iri(code)), "jurisdiction", code, extra={"level": level, "years": years},
                  evidence_count=sentences)
        row.evidence = _evidence(texts, reports[code], paging.evidence)
        rows.append(row)
    return len(groups), rows


def _by_year(connection, pairs, selection, paging: Paging) -> tuple[int, list[Row]]:
    chosen, params = _chosen(pairs, selection, False)
    groups: dict = {}
    places: dict = defaultdict(list)
    evidence_places: list[tuple] = []
    # the places of each year once, in code order: the first ones are listed, and the first
    # sentences come from the first ones (one sort of the places, none of the reports)
    for tag, year, code, name, number, before in connection.execute(f"""{chosen},
            placed AS MATERIALIZED (
              SELECT year, code, MIN(name) AS name, SUM(sentences) AS sentences FROM chosen GROUP BY year, code),
            numbered AS (
              SELECT year, code, name, ROW_NUMBER() OVER (PARTITION BY year ORDER BY code) AS n,
                     SUM(sentences) OVER (PARTITION BY year ORDER BY code ROWS UNBOUNDED PRECEDING)
                       - sentences AS before
              FROM placed)
            SELECT 'group', year, NULL, NULL, SUM(sentences), COUNT(*) FROM placed GROUP BY year
            UNION ALL
            SELECT 'place', year, code, name, n, before FROM numbered WHERE n <= ? OR before < ?""",
            params + [_limit(paging.listed), _limit(paging.evidence)]):
        if tag == "group":
            groups[year] = (number, before)  # (sentences, jurisdictions)
            continue
        if paging.listed is None or number <= paging.listed:
            places[year].append((code, name))
        if before < _limit(paging.evidence):
            evidence_places.append((year, code))
    years = sorted(groups, key=lambda year: (year is None, year or 0))
    page = [years[i] for i in paging.window(len(years))]
    reports = _year_reports(connection, pairs, selection, [p for p in evidence_places if p[0] in set(page)],
                            paging.evidence)
    texts = _sentences(connection, pairs, [rid for year in page for _, _, rid in reports[year]])
    rows = []
    for year in page:
        sentences, count = groups[year]
        listed = [{"label": name, "iri": str(jurisdiction_iri(code)), "code": code}
                  for code, name in sorted(places[year])]
        row = Row(str(year) if year is not None else "?", None, "year",
                  extra={"year": year, "count": count, "jurisdictions": listed, "jurisdiction_count": count},
                  evidence_count=sentences)
        ordered = sorted(reports[year])
        row.evidence = _evidence(texts, [(rid, report) for _, report, rid in ordered], paging.evidence)
        rows.append(row)
    return len(years), rows


def _year_reports(connection, pairs, selection, places: list[tuple], limit: int | None) -> dict:
    """year → (code, report id, rid) of the reports of ``places`` ((year, code)) that hold each
    year's first ``limit`` sentences in (code, report) order."""
    found: dict = defaultdict(list)
    if not places:
        return found
    pair_rows, pair_params = _values(pairs)
    place_rows, place_params = _values(places)
    for rid, report, code, year in connection.execute(f"""
            WITH pairs (object, relation) AS (VALUES {pair_rows}),
            wanted (year, code) AS (VALUES {place_rows}),
            per_report AS (
              SELECT r.id AS rid, r.report, r.code, r.year, COUNT(DISTINCT m.start) AS sentences
              FROM wanted w CROSS JOIN reports r ON r.code = w.code AND r.year IS w.year CROSS JOIN pairs p
              CROSS JOIN mentions m ON m.report = r.id AND +m.object = p.object AND +m.relation = p.relation
              WHERE {selection.where} GROUP BY r.id),
            ranked AS (
              SELECT rid, report, code, year,
                     SUM(sentences) OVER (PARTITION BY year ORDER BY code, report ROWS UNBOUNDED PRECEDING)
                       - sentences AS before
              FROM per_report)
            SELECT rid, report, code, year FROM ranked WHERE before < ?""",
            pair_params + place_params + list(selection.params) + [_limit(limit)]):
        found[year].append((code, report, rid))
    return found


# --- co-occurrence ---------------------------------------------------------------------------------

def companion_groups(summaries, values: dict, paging: Paging) -> tuple[int, list[Row]] | None:
    """The rows of ``cooccurring.rq`` bound with ``values``, grouped by companion as
    :func:`search.questions.answer._companions` groups them, counted in all and built for the
    page; None when the summaries do not answer this binding.

    A companion's ``reports`` are the first of the reports naming it with an anchor (by id), its
    ``jurisdictions`` the places of those reports, its evidence the first of its sentences in them.
    """
    selection = summaries.companion_selection(values)
    if selection is None:
        return None
    anchors, kind_names, same_only = selection
    if not anchors or not kind_names:
        return 0, []
    with summaries.reading() as connection:
        ids = summaries.object_ids(connection, anchors)
        if not ids:
            return 0, []
        anchor_marks = ", ".join("?" * len(ids))
        kind_marks = ", ".join("?" * len(kind_names))
        # the anchors' reports (with their places) and sentences; every join below goes from them to
        # the primary key of mentions (CROSS JOIN fixes that order): a materialised table has no
        # index, and the planner would otherwise scan all mentions against it
        anchor_sql = f"""
            WITH anchor_reports AS MATERIALIZED (
              SELECT r.id AS rid, r.report, r.name FROM reports r
              WHERE r.id IN (SELECT report FROM mentions WHERE object IN ({anchor_marks}))),
            anchor_sentences AS MATERIALIZED (
              SELECT DISTINCT a.rid AS report, a.name, m.start FROM anchor_reports a
              CROSS JOIN mentions m ON m.report = a.rid AND +m.object IN ({anchor_marks}))"""
        anchor_params = [*ids, *ids]
        if same_only:
            counted = f"""
              SELECT object, COUNT(DISTINCT report) AS reports, COUNT(*) AS sentences, COUNT(DISTINCT name) AS places
              FROM (SELECT DISTINCT c.object, c.report, c.start, s.name FROM anchor_sentences s
                    CROSS JOIN mentions c ON c.report = s.report AND c.start = s.start
                    WHERE c.kind IN ({kind_marks}) AND c.object NOT IN ({anchor_marks}))
              GROUP BY object"""
        else:
            # per report and companion first, in the order of the primary key (no sort), then per
            # companion: half the time of one DISTINCT over every (companion, report, sentence)
            counted = f"""
              SELECT object, COUNT(*) AS reports, SUM(sentences) AS sentences, COUNT(DISTINCT name) AS places
              FROM (SELECT c.object, a.rid, a.name, COUNT(DISTINCT c.start) AS sentences FROM anchor_reports a
                    CROSS JOIN mentions c ON c.report = a.rid
                    WHERE c.kind IN ({kind_marks}) AND c.object NOT IN ({anchor_marks})
                    GROUP BY a.rid, c.object)
              GROUP BY object"""
        groups = connection.execute(f"""{anchor_sql},
            shared AS MATERIALIZED (
              SELECT DISTINCT c.object, c.report, c.start FROM anchor_sentences s
              CROSS JOIN mentions c ON c.report = s.report AND c.start = s.start
              WHERE c.kind IN ({kind_marks}) AND c.object NOT IN ({anchor_marks})),
            counted AS ({counted}),
            same AS (SELECT object, COUNT(*) AS sentences FROM shared GROUP BY object)
            SELECT o.id, o.iri, o.label, o.kind, c.reports, COALESCE(s.sentences, 0), c.places, c.sentences
            FROM counted c JOIN objects o ON o.id = c.object LEFT JOIN same s ON s.object = c.object""",
            anchor_params + [*kind_names, *ids] * 2).fetchall()
        groups.sort(key=lambda g: (-g[4], -g[5], g[2], g[1]))
        page = [groups[i] for i in paging.window(len(groups))]
        if not page:
            return len(groups), []
        rows = _companion_page(connection, page, anchor_sql, anchor_params, ids, same_only, paging)
    return len(groups), rows


def _companion_page(connection, page, anchor_sql, anchor_params, ids, same_only, paging) -> list[Row]:
    """The rows of the companions on the page: their first reports (by id), the places of those,
    and their first sentences in them."""
    wanted = max(_limit(paging.listed), _limit(paging.evidence))
    page_rows, page_params = _values([(entry[0],) for entry in page])
    in_anchor_sentence = (f"AND EXISTS (SELECT 1 FROM mentions x WHERE x.report = c.report AND x.start = c.start "
                          f"AND +x.object IN ({', '.join('?' * len(ids))}))") if same_only else ""
    condition = f"EXISTS (SELECT 1 FROM mentions c WHERE c.report = a.rid AND c.object = g.object {in_anchor_sentence})"
    # per companion of the page, its first reports by report id, in one statement: a primary-key
    # look-up per anchor report and companion (about 0.2 s for 50 companions of 10,000 reports)
    first_ids: dict[int, list[int]] = {}
    for object_id, found in connection.execute(f"""{anchor_sql},
            page (object) AS (VALUES {page_rows})
            SELECT g.object, (SELECT group_concat(rid) FROM (
              SELECT a.rid FROM anchor_reports a WHERE {condition} ORDER BY a.report LIMIT ?))
            FROM page g""", anchor_params + page_params + (list(ids) if same_only else []) + [wanted]):
        first_ids[object_id] = [int(rid) for rid in found.split(",")] if found else []
    named = {}
    every = sorted({rid for rids in first_ids.values() for rid in rids})
    for at in range(0, len(every), 500):
        chunk = every[at:at + 500]
        named.update((rid, (report, name)) for rid, report, name in connection.execute(
            f"SELECT id, report, name FROM reports WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
    # (report id, rid, place) of each companion's first reports
    firsts = {object_id: [(named[rid][0], rid, named[rid][1]) for rid in rids] for object_id, rids in first_ids.items()}
    spans: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
    chosen = sorted({(object_id, rid) for object_id, entries in firsts.items() for _, rid, _ in entries})
    if chosen and (paging.evidence is None or paging.evidence > 0):
        chosen_rows, chosen_params = _values(chosen)
        same_filter = ("AND EXISTS (SELECT 1 FROM mentions a WHERE a.report = m.report AND a.start = m.start "
                       f"AND +a.object IN ({', '.join('?' * len(ids))}))") if same_only else ""
        for object_id, rid, start, end, text in connection.execute(f"""
                WITH chosen (object, rid) AS (VALUES {chosen_rows})
                SELECT DISTINCT c.object, c.rid, m.start, m.end, s.text
                FROM chosen c JOIN mentions m ON m.report = c.rid AND +m.object = c.object
                JOIN sentences s ON s.report = m.report AND s.start = m.start AND s.end = m.end
                WHERE 1 {same_filter}""", chosen_params + (list(ids) if same_only else [])):
            spans[(object_id, rid)].append((start, end, text))
    rows = []
    for object_id, iri, label, kind, report_count, same_sentences, place_count, sentences in page:
        entries = sorted(firsts[object_id])
        listed = entries if paging.listed is None else entries[:paging.listed]
        places = list(dict.fromkeys(name for _, _, name in listed))
        evidence = []
        for report, rid, _ in entries:
            for start, end, text in sorted(spans.get((object_id, rid), ())):
                evidence.append(Evidence(report, text, start, end))
        if paging.evidence is not None:
            evidence = evidence[:paging.evidence]
        rows.append(Row(label, iri, kind, extra={
            "reports": [report for report, _, _ in listed], "same_sentence": same_sentences, "jurisdictions": places,
            "report_count": report_count, "jurisdiction_count": place_count}, evidence=evidence,
            evidence_count=sentences))
    return rows
