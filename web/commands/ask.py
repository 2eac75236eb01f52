"""``fzkg ask QUESTION``: answer a question in Chinese (or simple English) from the graph."""
from __future__ import annotations

import argparse
import json

from ingest.datadir import DataDir
from ingest.stores import has_graph, open_store
from search.questions import Answer, answer_question
from search.questions.rows import EVIDENCE_PER_ROW, LISTED_PER_ROW, ROWS_PER_PAGE, Paging
from search.summaries import SummaryStore
from web.cli import CommandError, add_data_option
from web.commands.search import one_line, write

EXAMPLES = """examples:
  fzkg ask "哪些县开展了“法律明白人”?"
  fzkg ask "甘谷县学习了哪些法律?"
  fzkg ask "2024年四川省有哪些乡镇开展了“枫桥经验”?"
  fzkg ask "“兴法铺子”和哪些做法一起出现?"
  fzkg ask "比较甘谷县和社旗县" --format json
  fzkg ask "哪些县开展了“法律明白人”?" --page 2 --limit 100 --evidence 3
  fzkg ask "哪些县开展了“法律明白人”?" --all --format json > answer.json"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ask", help="answer a question from the knowledge graph, with evidence",
        description="Answer a question about who ran, studied or mentioned what. Every answer "
                    "carries its evidence sentences and the SPARQL that produced it; a question "
                    "that is not understood or is ambiguous says so, with suggestions.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question", metavar="QUESTION")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--sparql", action="store_true", help="table: also print the SPARQL query")
    parser.add_argument("--page", type=positive, default=1, help="which page of answers (from 1)")
    parser.add_argument("--limit", type=positive, default=ROWS_PER_PAGE,
                        help=f"answers per page (default {ROWS_PER_PAGE})")
    parser.add_argument("--evidence", type=natural, default=EVIDENCE_PER_ROW,
                        help=f"evidence sentences per answer (default {EVIDENCE_PER_ROW})")
    parser.add_argument("--all", action="store_true",
                        help="every answer with every sentence and list entry (overrides the three above)")
    add_data_option(parser)
    parser.set_defaults(handler=run)


def natural(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def positive(text: str) -> int:
    value = natural(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def paging_of(args) -> Paging:
    if args.all:
        return Paging.everything()
    return Paging(offset=(args.page - 1) * args.limit, limit=args.limit, evidence=args.evidence,
                  listed=max(LISTED_PER_ROW, args.limit))


def open_index(datadir: DataDir):
    """The full-text index for the fallback, or None when the data directory has none."""
    from search.engine import IndexNotFound
    from search.index import SearchIndex

    try:
        return SearchIndex.open(datadir)
    except (IndexNotFound, FileNotFoundError):
        return None


def run(args) -> int:
    datadir = DataDir.at(args.data)
    if not has_graph(datadir):
        raise CommandError(f"no graph in {datadir.root}: run `fzkg ingest` first")
    if not args.question.strip():
        raise CommandError("empty question")
    index = open_index(datadir)
    summaries = SummaryStore.open_current(datadir)
    try:
        with open_store(datadir, read_only=True) as store:
            answer = answer_question(args.question, store, index=index, summaries=summaries, paging=paging_of(args))
    finally:
        if index is not None:
            index.close()
        if summaries is not None:
            summaries.close()
    if args.format == "json":
        write(json.dumps(answer.to_json(), ensure_ascii=False, indent=1) + "\n")
    else:
        write(table(answer, sparql=args.sparql))
    return 0 if answer.understood else 1


def table(answer: Answer, sparql: bool = False) -> str:
    """A readable rendering: what was understood, the rows with their first evidence sentence."""
    lines = []
    if not answer.understood:
        lines.append(f"not understood: {answer.reason}")
        for entry in answer.ambiguous:
            lines.append(f"“{entry['mention']}” may mean ({entry['count']}):")
            for choice in entry["choices"]:
                where = choice.get("context") or "、".join(choice.get("kinds", []))
                mark = "  [has a report]" if choice.get("has_report") else ""
                lines.append(f"  - {choice['label']}  {choice.get('code') or ''}  {where}{mark}")
        if answer.suggestions:
            lines.append("try:")
            lines += [f"  {s}" for s in answer.suggestions]
        fallback = answer.fallback or {}
        if fallback.get("terms"):
            total = fallback.get("total")
            lines.append(f"full text {fallback['query']}: "
                         + (f"{total} occurrence(s)" if total is not None else "no index"))
            for hit in fallback.get("hits", []):
                lines.append(f"  {one_line(hit['left'])}【{hit['hit']}】{one_line(hit['right'])}"
                             f"  {hit.get('jurisdiction') or '?'} {hit.get('year') or ''}")
        return "\n".join(lines) + "\n"
    interpretation = answer.interpretation
    read = [interpretation["description"]]
    if "thing" in interpretation:
        thing = interpretation["thing"]
        read.append(f"{thing['label']} ({'/'.join(thing['kinds'])}, {thing['match']} match)")
    for place in interpretation.get("places", []):
        read.append(f"{place['label']} {place['code']}")
    if "level" in interpretation:
        read.append("level " + "/".join(interpretation["level"]["levels"]))
    if "years" in interpretation:
        years = interpretation["years"]
        read.append(f"years {years['from'] or ''}..{years['to'] or ''}")
    lines.append("understood: " + "; ".join(read))
    if answer.total is not None:
        lines.append(f"total: {answer.total}")
    if answer.row_count is not None and answer.row_count > len(answer.answers):
        first = answer.paging.offset + 1
        lines.append(f"answers {first}–{first + len(answer.answers) - 1} of {answer.row_count} (--page, --limit, --all)")
    if not answer.answers:
        lines.append("(no answers)")
    for number, row in enumerate(answer.answers, answer.paging.offset + 1):
        facts = [row.code or "", _facts(row)]
        lines.append(f"{number:>3}. {row.label}  " + "  ".join(f for f in facts if f))
        count = row.evidence_count if row.evidence_count is not None else len(row.evidence)
        for evidence in row.evidence[:1]:
            more = f" (+{count - 1} more)" if count > 1 else ""
            lines.append(f"     {one_line(evidence.text)}  [{evidence.report}:{evidence.start}-{evidence.end}]{more}")
    if sparql:
        lines += ["", answer.sparql or ""]
    return "\n".join(lines) + "\n"


def _facts(row) -> str:
    extra = row.extra
    if "years" in extra:
        return "years " + ",".join(str(y) for y in extra["years"])
    if "count" in extra:
        return f"{extra['count']} jurisdiction(s): " + "、".join(j["label"] for j in extra["jurisdictions"])
    if "report_count" in extra:
        return f"{extra['report_count']} report(s), {extra['same_sentence']} same sentence"
    if "jurisdictions" in extra:
        return "、".join(extra["jurisdictions"])
    return ""
