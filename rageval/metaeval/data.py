"""Loaders for the human-labelled meta-evaluation sets (WiCE, Q², ClapNQ, EVOUNA) as scorer inputs.

Each loader returns a `LabelledSet`: rows of canonical fields for one RAG scorer, the unit each row
belongs to (rows of a unit are scored and aggregated by their maximum, e.g. a WiCE claim's oracle
chunks), the unit's human label (1 = the positive class: supported, consistent, relevant, correct)
and the unit's split. Sets without a published dev split get a fixed, seeded one (`hash_split`).
The data lives outside the package, in a folder with ``wice/``, ``q2-dialogue/``, ``clapnq/`` and
``evouna/``: every loader takes it as ``data_dir`` (`data_dir` says where it is looked for otherwise).
"""
from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rageval.core.errors import ConfigError

#: systems whose answers EVOUNA judged, in the file's column names
EVOUNA_SYSTEMS = ("fid", "gpt35", "chatgpt", "gpt4", "newbing")
#: salt of the seeded dev/test split for the sets without a published one
SPLIT_SEED = "rageval-metaeval-v1"
#: environment variables naming the data folder, in the order they are read
DATA_ENV = ("RAGEVAL_METAEVAL_DATA", "RAGEVAL_SHARED_DATA")


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The folder of the meta-evaluation sets: ``path`` when given, else ``$RAGEVAL_METAEVAL_DATA``,
    else ``$RAGEVAL_SHARED_DATA``, else ``shared/data`` beside the repository checkout that holds
    this package (``../shared/data`` from its root; it may not exist, e.g. for an installed copy).

    >>> data_dir("/data/metaeval")
    PosixPath('/data/metaeval')
    """
    if path is not None:
        return Path(path)
    for name in DATA_ENV:
        if os.environ.get(name):
            return Path(os.environ[name])
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def hash_split(key: str, dev_share: float = 0.5, seed: str = SPLIT_SEED) -> str:
    """``"dev"`` or ``"test"`` for a unit, fixed by ``sha256(seed:key)``: the same on every machine.

    Splitting on a group key (a question, a knowledge sentence) keeps related rows in one split.
    """
    h = int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big")
    return "dev" if h / 2**64 < dev_share else "test"


@dataclass
class LabelledSet:
    """Rows for one scorer, grouped into human-labelled units."""

    name: str
    scorer: str
    rows: list[dict[str, Any]] = field(default_factory=list)   # canonical fields of each row
    unit: list[str] = field(default_factory=list)              # unit id of each row
    labels: dict[str, int] = field(default_factory=dict)       # unit id -> human label (0/1)
    splits: dict[str, str] = field(default_factory=dict)       # unit id -> "dev" | "test"
    note: str = ""

    def add(self, unit: str, row: dict[str, Any], label: int, split: str) -> None:
        if unit in self.labels and self.labels[unit] != label:
            raise ValueError(f"{self.name}: unit {unit!r} has two labels")
        self.rows.append(row)
        self.unit.append(unit)
        self.labels[unit] = int(label)
        self.splits[unit] = split

    def subset(self, units: set[str]) -> LabelledSet:
        """The rows of the given units only (for quick runs and tests)."""
        out = LabelledSet(self.name, self.scorer, note=self.note)
        for u, r in zip(self.unit, self.rows):
            if u in units:
                out.add(u, r, self.labels[u], self.splits[u])
        return out

    def units(self, split: str | None = None) -> list[str]:
        """Unit ids in first-seen order, optionally of one split."""
        return [u for u in self.labels if split is None or self.splits[u] == split]


def _path(folder: str | os.PathLike | None, *parts: str) -> Path:
    p = data_dir(folder).joinpath(*parts)
    if not p.exists():
        raise ConfigError(f"meta-evaluation data not found: {p} (pass data_dir=, or --data-dir to rageval "
                          f"meta-eval, or set {DATA_ENV[0]} to the folder that holds wice/, q2-dialogue/, "
                          f"clapnq/ and evouna/)")
    return p


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_wice(data_dir: str | os.PathLike | None = None) -> LabelledSet:
    """WiCE claims against their oracle chunks (faithfulness): label 1 = ``supported``.

    Each oracle-chunk row is one example (``contexts`` = its evidence sentences, ``answer`` = the
    claim); a claim's score is the maximum over its rows, as in the WiCE paper. ``partially_supported``
    and ``not_supported`` are the negative class ("not fully supported"). Published dev/test splits.
    """
    out = LabelledSet("wice", "faithfulness",
                      note="oracle chunks; supported vs not fully supported; max over a claim's rows")
    for split in ("dev", "test"):
        for rec in _jsonl(_path(data_dir, "wice", "oracle_chunks", "claim", f"{split}.jsonl")):
            unit = str(rec["meta"]["id"])
            out.add(unit, {"contexts": list(rec["evidence"]), "answer": rec["claim"]},
                    int(rec["label"] == "supported"), split)
    return out


def load_q2(data_dir: str | os.PathLike | None = None, dev_share: float = 0.5) -> LabelledSet:
    """Q² dialogue responses against their knowledge sentence (faithfulness): label 1 = consistent.

    The 600 balanced rows of ``{dodeca,memnet}_{consistent,inconsistent}.csv``: ``contexts`` =
    [knowledge], ``answer`` = response, ``question`` = the user's message. No published split: a
    seeded `hash_split` on the knowledge sentence (so both systems' responses to one knowledge
    sentence fall in the same split).
    """
    out = LabelledSet("q2", "faithfulness", note=f"seeded split on knowledge sentence, dev share {dev_share}")
    for system in ("dodeca", "memnet"):
        for kind, label in (("consistent", 1), ("inconsistent", 0)):
            with open(_path(data_dir, "q2-dialogue", f"{system}_{kind}.csv"), encoding="utf-8", newline="") as f:
                for rec in csv.DictReader(f):
                    unit = f"{system}:{kind}:{rec['episode_idx']}:{rec['round']}"
                    out.add(unit, {"contexts": [rec["knowledge"]], "answer": rec["response"],
                                   "question": rec["message"]},
                            label, hash_split(rec["knowledge"], dev_share))
    return out


def load_q2_cross(data_dir: str | os.PathLike | None = None, dev_share: float = 0.5) -> LabelledSet:
    """Q²'s cross-annotated responses that are not among `load_q2`'s 600 rows (faithfulness):
    label 1 = consistent (``{system}_label`` 0; 1 marks an inconsistent response).

    ``cross_annotation.csv`` labels both systems' responses to 544 knowledge sentences; pairs
    (knowledge, response) already in the balanced 600 rows are dropped, so no weight or choice of
    the default judge ever saw these: a held-out check with no goal. Split as `load_q2`: a seeded
    `hash_split` on the knowledge sentence.
    """
    seen = {(r["contexts"][0], r["answer"]) for r in load_q2(data_dir).rows}
    out = LabelledSet("q2-cross", "faithfulness",
                      note=f"held out; seeded split on knowledge sentence, dev share {dev_share}")
    with open(_path(data_dir, "q2-dialogue", "cross_annotation.csv"), encoding="utf-8", newline="") as f:
        for i, rec in enumerate(csv.DictReader(f)):
            for system in ("dodeca", "memnet"):
                response, label = rec[f"{system}_response"], rec[f"{system}_label"].strip()
                if label not in ("0", "1") or (rec["knowledge"], response) in seen:
                    continue
                out.add(f"{i}:{system}", {"contexts": [rec["knowledge"]], "answer": response,
                                          "question": rec["message"]},
                        int(label == "0"), hash_split(rec["knowledge"], dev_share))
    return out


def load_clapnq(data_dir: str | os.PathLike | None = None, dev_share: float = 0.5) -> LabelledSet:
    """ClapNQ passages (context relevance): label 1 = the passage answers the question.

    ``question`` = input, ``contexts`` = [passage text]; answerable file -> 1, unanswerable (same
    article, no answer) -> 0. No published split of this dev set: a seeded `hash_split` on the
    question id.
    """
    out = LabelledSet("clapnq", "context_relevance",
                      note=f"passage level; seeded split on question id, dev share {dev_share}")
    for kind, label in (("answerable", 1), ("unanswerable", 0)):
        for rec in _jsonl(_path(data_dir, "clapnq", "dev", f"clapnq_dev_{kind}.jsonl")):
            passage = rec["passages"][0]
            out.add(f"{kind}:{rec['id']}", {"question": rec["input"], "contexts": [passage["text"]]},
                    label, hash_split(str(rec["id"]), dev_share))
    return out


def load_evouna(subset: str, data_dir: str | os.PathLike | None = None, dev_share: float = 0.5) -> LabelledSet:
    """EVOUNA (``"NQ"`` or ``"TQ"``) system answers against gold answers (answer correctness).

    One row per judged (question, system) pair: ``question``, ``answer`` = the system's answer,
    ``references`` = the gold alternatives (``golden_answer`` split on ``/``); label = the human
    verdict. Questions marked ``improper`` and pairs without an answer or a verdict are dropped. No
    published split: a seeded `hash_split` on the question, so all systems' answers to a question
    fall in the same split.
    """
    if subset not in ("NQ", "TQ"):
        raise ConfigError(f"EVOUNA subset is 'NQ' or 'TQ', got {subset!r}")
    out = LabelledSet(f"evouna-{subset.lower()}", "answer_correctness",
                      note=f"seeded split on question, dev share {dev_share}")
    with open(_path(data_dir, "evouna", f"{subset}.json"), encoding="utf-8") as f:
        records = json.load(f)
    for i, rec in enumerate(records):
        if rec.get("improper"):
            continue
        refs = [r.strip() for r in rec["golden_answer"].split("/") if r.strip()]
        split = hash_split(rec["question"], dev_share)
        for system in EVOUNA_SYSTEMS:
            answer, verdict = rec.get(f"answer_{system}"), rec.get(f"judge_{system}")
            if not isinstance(answer, str) or not isinstance(verdict, bool):
                continue
            out.add(f"{i}:{system}", {"question": rec["question"], "answer": answer, "references": refs},
                    int(verdict), split)
    return out


#: task name -> loader (each takes ``data_dir``)
LOADERS: dict[str, Callable[..., LabelledSet]] = {
    "wice": load_wice,
    "q2": load_q2,
    "q2-cross": load_q2_cross,
    "clapnq": load_clapnq,
    "evouna-nq": functools.partial(load_evouna, "NQ"),
    "evouna-tq": functools.partial(load_evouna, "TQ"),
}


def load(name: str, data_dir: str | os.PathLike | None = None) -> LabelledSet:
    """A labelled set by task name (one of `LOADERS`), read from ``data_dir`` (see `data_dir`)."""
    if name not in LOADERS:
        raise ConfigError(f"unknown meta-evaluation task {name!r}; known: {', '.join(LOADERS)}")
    return LOADERS[name](data_dir=data_dir)
