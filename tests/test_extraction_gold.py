"""The extractor, scored per field against facts written by reading the five reports."""
import pytest

from gold_scoring import format_table, score
from ingest.pipeline import extract_file


@pytest.fixture(scope="module")
def result():
    table = score(lambda path: extract_file(path).to_json())
    print("\n" + format_table(table))
    return table


@pytest.mark.parametrize("field", ["jurisdiction name", "jurisdiction level", "jurisdiction code", "parent chain", "year"])
def test_jurisdiction_and_year_are_all_right(result, field):
    assert result[field] == 1.0, result["details"]


def test_publisher_is_right_where_the_text_has_one(result):
    assert result["publisher"] == 1.0


def test_laws_f1(result):
    assert result["laws P/R/F1"][2] >= 0.95, result["details"]


def test_law_relations(result):
    assert result["law relation accuracy"] >= 0.9


def test_programs_and_initiatives_f1(result):
    assert result["programs+initiatives P/R/F1"][2] >= 0.98, result["details"]


def test_figures_precision(result):
    assert result["figures precision"] >= 0.9, [d["wrong_figures"] for d in result["details"]]
