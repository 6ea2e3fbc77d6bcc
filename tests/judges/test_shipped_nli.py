"""The shipped entailment judge (rageval/judges/weights/nli-minilm): ``judge="nli"`` with no model
loads it, its scores equal a forward pass of the MiniLM base with the delta's tensors put in by
hand, and it ships inside the 10 MB budget."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rageval.judges import get_judge
from rageval.judges.nli import DELTA_FILE, MANIFEST_FILE, SHIPPED_MODEL
from rageval.models import model_fingerprint, resolve_model

PREMISES = ["Paris is the capital of France.", "The Seine flows through Paris and into the English Channel.",
            "Marie Curie won the Nobel Prize in Physics in 1903."]
CLAIMS = ["France has Paris as its capital.", "The Rhine flows through Paris.", "Marie Curie won a Nobel Prize."]


def by_hand(premises: list[str], claims: list[str]) -> list[float]:
    """Base MiniLM + the delta's float16 tensors (each adapter pair merged: W + B·A, B stored with
    its scale), one unpadded pair at a time, softmax[ENTAILMENT]."""
    import transformers
    from safetensors.torch import load_file

    base = resolve_model(json.loads(Path(SHIPPED_MODEL, MANIFEST_FILE).read_text())["base"])
    config = transformers.AutoConfig.from_pretrained(SHIPPED_MODEL)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(base, config=config).eval()
    state = model.state_dict()
    delta = load_file(str(Path(SHIPPED_MODEL, DELTA_FILE)))
    for k, v in delta.items():
        if k.endswith(".lora_A"):
            state[k.removesuffix(".lora_A") + ".weight"] += delta[k[:-1] + "B"].float() @ v.float()
        elif not k.endswith(".lora_B"):
            state[k].copy_(v.float())
    tokenizer = transformers.AutoTokenizer.from_pretrained(SHIPPED_MODEL)
    out = []
    for p, c in zip(premises, claims):
        with torch.inference_mode():
            logits = model(**tokenizer(p, c, return_tensors="pt")).logits[0]
        out.append(float(torch.softmax(logits, -1)[config.label2id["ENTAILMENT"]]))
    return out


def test_the_shipped_model_is_small_and_names_its_base():
    files = {p.name: p.stat().st_size for p in Path(SHIPPED_MODEL).iterdir()}
    assert {DELTA_FILE, MANIFEST_FILE, "config.json", "RECIPE.md"} <= set(files)
    assert sum(files.values()) < 10 * 2**20
    manifest = json.loads(Path(SHIPPED_MODEL, MANIFEST_FILE).read_text())
    assert manifest["base_hash"] == model_fingerprint(resolve_model(manifest["base"]))
    assert manifest["finished"] and 0.5 < manifest["best_validation_auroc"] <= 1


def test_nli_with_no_model_is_the_shipped_judge_and_matches_a_forward_pass_by_hand():
    judge = get_judge({"kind": "nli", "cache_dir": None})
    manifest = json.loads(Path(SHIPPED_MODEL, MANIFEST_FILE).read_text())
    assert judge.path == SHIPPED_MODEL and judge.entailment_index == 1 and judge.max_length == manifest["max_length"]
    got = judge.support(PREMISES, CLAIMS)
    assert got == pytest.approx(by_hand(PREMISES, CLAIMS), abs=1e-5)
    assert got[0] > got[1]  # entailed above contradicted
