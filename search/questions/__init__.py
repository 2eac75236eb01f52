"""Questions in Chinese (and simple English) answered from the knowledge graph.

- :mod:`search.questions.parse` — a question → a frame → a shape (``data/shapes.toml``);
- :mod:`search.questions.link` — entity linking (programs, initiatives, laws, documents, places);
- :mod:`search.questions.sparql` — SPARQL templates (``templates/*.rq``) and their VALUES rows;
- :mod:`search.questions.answer` — :func:`answer_question` and :class:`Answer`.
"""
from search.questions.answer import Answer, answer_question

__all__ = ["Answer", "answer_question"]
