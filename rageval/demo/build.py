"""Builds the shipped demo data from ClapNQ (Apache-2.0): `python -m rageval.demo.build [SHARED_DATA]`.

Two simple, deterministic RAG "systems" over the first 100 answerable ClapNQ dev questions, with
a corpus of all 600 ClapNQ dev passages: ``lexical`` (passages ranked by question-word overlap,
the answer is the top passage's sentence that overlaps the question most) and ``lead`` (passages
ranked by overlap with the passage *title* only, the answer is the top passage's first sentence).
The reference is ClapNQ's human-written answer; the gold passage id is the question's own passage.
"""
from __future__ import annotations

import json
import os
import re
import sys

N = 100
TOP_K = 3
_WORD = re.compile(r"[a-z0-9]+")
_STOP = set("a an the of in on at to for by with from and or is are was were be been what which who whom whose "
            "when where why how does do did that this these those it its as into than then there their".split())


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _rank(query: set[str], passages: list[dict], key: str) -> list[dict]:
    return sorted(passages, key=lambda p: (-len(query & _words(p[key])), p["id"]))[:TOP_K]


def build(shared: str) -> dict[str, list[dict]]:
    folder = os.path.join(shared, "clapnq", "dev")
    rows = {kind: [json.loads(line)
                   for line in open(os.path.join(folder, f"clapnq_dev_{kind}.jsonl"), encoding="utf-8")]
            for kind in ("answerable", "unanswerable")}
    corpus = []
    for kind, items in rows.items():
        for r in items:
            p = r["passages"][0]
            corpus.append({"id": f"{kind[0]}{r['id']}", "title": p["title"], "text": p["text"].strip(),
                           "sentences": p["sentences"]})
    systems: dict[str, list[dict]] = {"lexical": [], "lead": []}
    for r in rows["answerable"][:N]:
        q = _words(r["input"])
        for system, key in (("lexical", "text"), ("lead", "title")):
            top = _rank(q, corpus, key)
            sents = top[0]["sentences"]
            answer = max(sents, key=lambda s: len(q & _words(s))) if system == "lexical" else sents[0]
            systems[system].append({
                "id": r["id"], "question": r["input"],
                "contexts": [p["text"] for p in top], "retrieved_ids": [p["id"] for p in top],
                "relevant_ids": [f"a{r['id']}"],
                "answer": answer, "reference": r["output"][0]["answer"],
            })
    return systems


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    shared = argv[0] if argv else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
    out = os.path.dirname(os.path.abspath(__file__))
    for system, rows in build(shared).items():
        with open(os.path.join(out, f"clapnq_{system}.jsonl"), "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
