import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# test helpers (gold_scoring) are imported by name
sys.path.insert(0, str(TESTS))
CORPUS = ROOT / "corpus"
