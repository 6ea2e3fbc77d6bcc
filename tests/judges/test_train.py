"""`rageval train-judge` on a tiny random BERT built locally: it learns, is reproducible, resumes to
the weights of an uninterrupted run, stops early, windows long premises, refuses bad rows, and its
directory loads as ``judge={"kind": "nli", "model": DIR}``."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from support.judge_fixtures import WORDS

from rageval.cli import main as cli_main
from rageval.core.errors import ConfigError, FieldError
from rageval.judges import get_judge
from rageval.judges.nli import DELTA_FILE, MANIFEST_FILE, load_nli_model, premise_windows
from rageval.judges.train import read_pairs, train, training_window


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A 2-layer BERT encoder (no head) with a word-piece vocabulary, saved like the MiniLM base."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path = tmp_path_factory.mktemp("base")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789.,?!\"'-")
    vocab = list(dict.fromkeys(specials + list(WORDS) + chars + ["##" + c for c in chars]))
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, model_max_length=64)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One thread: the tiny model gains nothing from more, and a busy machine loses a lot."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def rows(n: int, seed: int) -> list[dict]:
    """A learnable task: the hypothesis is supported when the premise holds "yes", not when it holds "no"."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = rng.choices(WORDS[:-8], k=rng.randint(3, 10))
        words.insert(rng.randint(0, len(words)), "yes" if i % 2 else "no")
        out.append({"premise": " ".join(words), "hypothesis": " ".join(rng.choices(WORDS, k=3)), "label": i % 2})
    return out


FAST = {"batch_size": 8, "lr": 1e-3, "max_length": 48, "stride": 8, "progress": False, "checkpoint_every": 4}


def delta(path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path / DELTA_FILE))


def test_training_learns_and_the_directory_loads_as_an_nli_judge(base, tmp_path):
    summary = train(rows(160, 0), tmp_path / "m", valid=rows(60, 1), base=base, epochs=4, **FAST)
    assert summary["finished"] and summary["steps"] == 80 and len(summary["validation"]) == 4
    assert summary["best_validation_auroc"] > 0.75  # the task is learnable; a broken loop stays near 0.5
    manifest = json.loads((tmp_path / "m" / MANIFEST_FILE).read_text())
    assert manifest["base"] == base and manifest["recipe"]["train_layers"] == 2
    d = delta(tmp_path / "m")
    assert all(v.dtype == np.float16 for v in d.values())
    assert {k.split(".")[0] for k in d} == {"bert", "classifier"} and not any("embeddings" in k for k in d)
    # the judge: base tensors where frozen, the delta where trained, scores = a plain forward pass
    tokenizer, model = load_nli_model(str(tmp_path / "m"), "cpu")
    from transformers import BertModel

    frozen = BertModel.from_pretrained(base).state_dict()
    state = model.state_dict()
    for k, v in frozen.items():
        if "bert." + k in d:
            assert torch.equal(state["bert." + k], torch.from_numpy(d["bert." + k]).float())
        elif "bert." + k in state:
            assert torch.equal(state["bert." + k], v)
    judge = get_judge({"kind": "nli", "model": str(tmp_path / "m"), "cache_dir": None})
    assert judge.entailment_index == 1 and judge.max_length == 48 and judge.stride == 8
    valid = rows(20, 2)
    got = judge.support([r["premise"] for r in valid], [r["hypothesis"] for r in valid])
    for r, g in zip(valid, got):
        enc = tokenizer(r["premise"], r["hypothesis"], return_tensors="pt")
        with torch.inference_mode():
            want = float(torch.softmax(model(**enc).logits[0], -1)[1])
        assert g == pytest.approx(want, abs=1e-5)


@pytest.mark.parametrize("lora", [0, 4])
def test_same_seed_same_weights_and_another_seed_differs(base, tmp_path, lora):
    data = rows(48, 3)
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        train(data, tmp_path / name, base=base, seed=seed, lora_rank=lora, **FAST)
    a, b, c = (delta(tmp_path / n) for n in "abc")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.array_equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("lora", [0, 4])
def test_resume_from_a_checkpoint_equals_an_uninterrupted_run(base, tmp_path, lora):
    data, valid = rows(56, 4), rows(24, 5)
    kw = dict(FAST, epochs=2, eval_every=3, patience=9, lora_rank=lora)
    whole = train(data, tmp_path / "whole", valid=valid, base=base, **kw)
    first = train(data, tmp_path / "cut", valid=valid, base=base, max_steps=5, **kw)
    assert not first["finished"] and first["steps"] == 5
    rest = train(data, tmp_path / "cut", valid=valid, base=base, **kw)  # the same call again: resumes
    assert rest["finished"] and rest["steps"] == whole["steps"] == 14
    assert [h["auroc"] for h in rest["validation"]] == [h["auroc"] for h in whole["validation"]]
    a, b = delta(tmp_path / "whole"), delta(tmp_path / "cut")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(ConfigError, match=r"another run \(differs in \['lr'\]\)"):
        train(data, tmp_path / "cut", valid=valid, base=base, **dict(kw, lr=5e-4))


def test_lora_trains_adapters_on_every_layer_and_the_judge_merges_them(base, tmp_path):
    from transformers import BertModel

    from rageval.judges.train import build_model

    summary = train(rows(160, 0), tmp_path / "m", valid=rows(60, 1), base=base, epochs=5, train_layers=0,
                    lora_rank=8, lora_alpha=16, **dict(FAST, lr=3e-3))
    assert summary["best_validation_auroc"] > 0.9 and summary["recipe"]["lora_rank"] == 8
    d = delta(tmp_path / "m")
    targets = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
               "intermediate.dense", "output.dense")
    for layer in range(2):  # adapters on all 6 linears of every layer; no full dense weight stored
        for t in targets:
            assert d[f"bert.encoder.layer.{layer}.{t}.lora_A"].shape[0] == 8
    assert not any(k.endswith("dense.weight") or k.endswith("query.weight") for k in d if "encoder" in k)
    assert "bert.embeddings.token_type_embeddings.weight" in d and "bert.embeddings.LayerNorm.weight" in d
    assert "bert.embeddings.word_embeddings.weight" not in d
    # merged by the loader: W + (alpha/r)·B·A, the base elsewhere
    _, merged = load_nli_model(str(tmp_path / "m"), "cpu")
    frozen = BertModel.from_pretrained(base).state_dict()
    w = "encoder.layer.1.intermediate.dense.weight"
    a, b = (torch.from_numpy(d[f"bert.encoder.layer.1.intermediate.dense.lora_{x}"]).float() for x in "AB")
    assert torch.allclose(merged.state_dict()["bert." + w], frozen[w] + b @ a, atol=1e-6)
    assert not torch.equal(merged.state_dict()["bert." + w], frozen[w])
    assert torch.equal(merged.state_dict()["bert.embeddings.word_embeddings.weight"],
                       frozen["embeddings.word_embeddings.weight"])
    # the merged judge scores as the adapter model it was trained as (with the stored float16 tensors)
    tokenizer, adapted, _ = build_model(base, 0, 8, 16)
    state = {k: torch.from_numpy(v).float() / (2.0 if k.endswith("lora_B") else 1.0) for k, v in d.items()}
    adapted.load_state_dict(state, strict=False)
    adapted.eval()
    judge = get_judge({"kind": "nli", "model": str(tmp_path / "m"), "cache_dir": None})
    valid = rows(20, 2)
    got = judge.support([r["premise"] for r in valid], [r["hypothesis"] for r in valid])
    for r, g in zip(valid, got):
        with torch.inference_mode():
            want = float(torch.softmax(adapted(**tokenizer(r["premise"], r["hypothesis"], return_tensors="pt"))
                                       .logits[0], -1)[1])
        assert g == pytest.approx(want, abs=1e-5)


def test_lora_with_top_layers_and_bad_rank(base, tmp_path):
    train(rows(16, 3), tmp_path / "m", base=base, train_layers=1, lora_rank=2, **FAST)
    d = delta(tmp_path / "m")
    assert "bert.encoder.layer.0.attention.self.query.lora_A" in d  # adapters below the top layer
    assert "bert.encoder.layer.1.attention.self.query.weight" in d  # the top layer whole
    assert not any(k.startswith("bert.encoder.layer.1.") and "lora" in k for k in d)
    with pytest.raises(ConfigError, match="lora_rank"):
        train(rows(16, 3), tmp_path / "n", base=base, lora_rank=-1, **FAST)
    for alpha in (0, -1.0, float("nan"), "8"):
        with pytest.raises(ConfigError, match="lora_alpha"):
            train(rows(16, 3), tmp_path / "n", base=base, lora_rank=2, lora_alpha=alpha, **FAST)
    # a delta whose adapter lost its B half is refused at load, never half-merged
    from safetensors.numpy import save_file

    broken = {k: v for k, v in d.items() if not k.endswith("layer.0.attention.self.query.lora_B")}
    save_file(broken, str(tmp_path / "m" / DELTA_FILE))
    load_nli_model.cache_clear()
    with pytest.raises(ConfigError, match="no lora_B"):
        load_nli_model(str(tmp_path / "m"), "cpu")


def test_early_stopping_after_patience_validations_without_improvement(base, tmp_path):
    summary = train(rows(64, 6), tmp_path / "m", valid=rows(20, 7), base=base, epochs=5, eval_every=2,
                    patience=2, min_delta=1.0, **FAST)  # an improvement of 1.0 AUROC never comes
    assert summary["early_stopped"] and summary["finished"]
    assert len(summary["validation"]) == 3 and summary["steps"] == 6


def test_long_premises_train_on_the_best_overlap_window_and_score_by_the_best_window(base, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    filler = " ".join(["the old river and the small city"] * 12)
    premise = filler + " paris is the capital of france"
    windows = premise_windows(tokenizer, premise, "paris capital", 48, 8)
    assert len(windows) > 2
    assert training_window(tokenizer, premise, "paris capital", 48, 8) == windows[-1]
    assert training_window(tokenizer, "short premise", "paris capital", 48, 8) == "short premise"
    train(rows(32, 8), tmp_path / "m", base=base, **FAST)
    judge = get_judge({"kind": "nli", "model": str(tmp_path / "m"), "cache_dir": None})
    rng = random.Random(9)
    later_best = 0
    for _ in range(8):  # with some premises a later window scores highest: reading only the first fails
        p = " ".join(rng.choices(WORDS, k=120))
        h = "it is " + rng.choice(WORDS)
        each = judge.pair_scores([w for w, _ in judge._windows(p, h)], [h] * len(judge._windows(p, h)))
        assert len(each) > 1
        got = judge.support([p], [h])[0]
        assert got == pytest.approx(max(each), abs=1e-6)
        later_best += max(each) > each[0] + 1e-6
    assert later_best > 0


@pytest.mark.parametrize("bad, field, row", [
    ({"label": None}, "label", 1), ({"label": 2}, "label", 1), ({"label": "yes"}, "label", 1),
    ({"label": float("nan")}, "label", 1), ({"premise": ""}, "premise", 1), ({"premise": "  "}, "premise", 1),
    ({"hypothesis": None}, "hypothesis", 1), ({"hypothesis": 3}, "hypothesis", 1),
])
def test_bad_rows_are_refused_naming_the_row_and_the_field(bad, field, row):
    data = rows(3, 10)
    data[1] = {**data[1], **bad}
    with pytest.raises(FieldError) as e:
        read_pairs(data)
    assert e.value.field == field and e.value.row == row


def test_missing_column_empty_data_and_renaming(tmp_path):
    with pytest.raises(FieldError, match="no such column"):
        read_pairs([{"premise": "a", "hypothesis": "b"}])
    with pytest.raises(ConfigError, match="no rows"):
        read_pairs([])
    import pandas as pd

    frame = pd.DataFrame({"evidence": ["a b", "c d"], "claim": ["a", "e"], "y": np.array([1, 0])})
    assert read_pairs(frame, {"premise": "evidence", "hypothesis": "claim", "label": "y"}) == [
        ("a b", "a", 1), ("c d", "e", 0)]
    assert read_pairs([{"premise": "p", "hypothesis": "h", "label": True}]) == [("p", "h", 1)]


def test_the_command_line_trains_from_a_file_with_renamed_columns(base, tmp_path, capsys):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"ev": r["premise"], "cl": r["hypothesis"], "y": r["label"]}) + "\n"
                            for r in rows(24, 11)), encoding="utf-8")
    code = cli_main(["train-judge", str(path), "-o", str(tmp_path / "m"), "--base", base, "--columns",
                     "premise=ev,hypothesis=cl,label=y", "--batch-size", "8", "--max-length", "48", "--stride", "8",
                     "--no-progress", "--lora-rank", "2", "--train-layers", "0"])
    assert code == 0 and "done after 3 steps" in capsys.readouterr().out
    assert any(k.endswith("lora_A") for k in delta(tmp_path / "m"))
    manifest = json.loads((tmp_path / "m" / MANIFEST_FILE).read_text())
    assert manifest["recipe"]["lora_rank"] == 2 and manifest["recipe"]["lora_alpha"] == 4.0
