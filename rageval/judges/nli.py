"""The nli judge: an NLI or cross-encoder model (transformers AutoModelForSequenceClassification)
scoring premise/hypothesis pairs, each pair's score cached on disk. With no model given it uses the
entailment cross-encoder shipped in the package (`SHIPPED_MODEL`, trained by `rageval train-judge`)."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from rageval.core.errors import ConfigError
from rageval.judges.base import DEFAULT_CACHE, Judge
from rageval.judges.local import LocalModel
from rageval.models import load_transformer

RELEVANCE_HYPOTHESIS = 'This text answers the question "{question}".'
ADDRESSES_HYPOTHESIS = 'This is a direct answer to the question "{question}".'
#: a model directory written by `rageval train-judge`: trained tensors over a base model
MANIFEST_FILE, DELTA_FILE = "rageval-judge.json", "delta.safetensors"
#: the shipped entailment judge: MiniLM's top layers and head, trained on ../shared/data/nli-train
#: (its RECIPE.md holds the command line, the recipe, the training time and the validation AUROC)
SHIPPED_MODEL = str(Path(__file__).parent / "weights" / "nli-minilm")


def premise_windows(tokenizer: Any, premise: str, hypothesis: str, max_length: int, stride: int = 64) -> list[str]:
    """The premise whole when ``[CLS] premise [SEP] hypothesis [SEP]`` fits ``max_length`` tokens;
    else slices of it (cut at token boundaries, by the tokenizer's offsets) of ``max_length`` less
    the hypothesis and the 3 special tokens, each overlapping the previous by ``stride`` tokens."""
    ids = tokenizer(premise, add_special_tokens=False, return_offsets_mapping=True, verbose=False)  # no length warning
    offsets = ids["offset_mapping"]
    budget = max_length - len(tokenizer(hypothesis, add_special_tokens=False)["input_ids"]) - 3
    if len(offsets) <= budget:
        return [premise]
    budget = max(budget, 2 * stride + 1, 8)  # an over-long hypothesis: the pair is truncated instead
    step = budget - stride
    windows = []
    for start in range(0, len(offsets), step):
        piece = offsets[start:start + budget]
        windows.append(premise[piece[0][0]:piece[-1][1]])
        if start + budget >= len(offsets):
            break
    return windows


@functools.lru_cache(maxsize=4)
def load_nli_model(path: str, device: str | None = None) -> tuple[Any, Any]:
    """``(tokenizer, model)`` of a directory: a trained delta (`MANIFEST_FILE`) is rebuilt as the
    base model named in its manifest (its file hash checked) with the delta's tensors in float32;
    any other directory loads as a plain ``AutoModelForSequenceClassification``."""
    import json
    import os

    manifest = os.path.join(path, MANIFEST_FILE)
    if not os.path.exists(manifest):
        return load_transformer(path, device, kind="sequence-classification")
    import transformers
    from safetensors.torch import load_file

    from rageval.models import default_device, model_fingerprint, quiet_loading, resolve_model

    quiet_loading()
    with open(manifest, encoding="utf-8") as fh:
        info = json.load(fh)
    base = resolve_model(info["base"])
    if model_fingerprint(base) != info["base_hash"]:
        raise ConfigError(f"nli judge: {path} was trained over {info['base']} with file hash {info['base_hash']}, "
                          f"but {base} has hash {model_fingerprint(base)}")
    config = transformers.AutoConfig.from_pretrained(path, local_files_only=True)
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the head is missing from the base: the delta has it
    try:
        model = transformers.AutoModelForSequenceClassification.from_pretrained(base, config=config,
                                                                                local_files_only=True)
    finally:
        transformers.logging.set_verbosity(verbosity)
    delta = {k: v.float() for k, v in load_file(os.path.join(path, DELTA_FILE)).items()}
    state = model.state_dict()
    for key in [k for k in delta if k.endswith(".lora_A")]:  # low-rank adapters: merged, W + B·A
        weight = key[:-len(".lora_A")] + ".weight"
        if weight not in state or key[:-1] + "B" not in delta:
            raise ConfigError(f"nli judge: {path}: adapter {key} has no {weight} in the base model or no lora_B")
        delta[weight] = state[weight].float() + delta.pop(key[:-1] + "B") @ delta.pop(key)
    missing = set(delta) - set(state)
    if missing:
        raise ConfigError(f"nli judge: {path}: tensors {sorted(missing)[:3]} are not in the base model")
    model.load_state_dict(delta, strict=False)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    return tokenizer, model.to(device or default_device()).eval()


class NLIJudge(LocalModel, Judge):
    """Entailment probabilities from a sequence-classification model.

    Two model shapes are accepted:

    * **NLI** (2 or more labels): the score of a pair (premise, hypothesis) is the softmax
      probability of the entailment label. That label is found in ``config.id2label`` as the one
      whose name contains "entail" (case-insensitive: ENTAILMENT, entailment, ...), or given
      with ``entailment_label`` (a label name or index) for models with generic names
      (LABEL_0, ...); a model with neither is a ConfigError, never a guess.
    * **cross-encoder** (one logit, e.g. ms-marco rerankers): the score is ``sigmoid(logit)`` of
      the pair (query, passage): (claim, premise), (question, passage), (reference, answer).

    Primitives (NLI shape): ``support`` = P(premise ⇒ claim); ``relevance`` = P(passage ⇒
    ``relevance_hypothesis`` with the question filled in), the zero-shot-classification use of
    NLI; ``addresses`` likewise with ``addresses_hypothesis`` and the answer as premise;
    ``agreement`` = mean of P(answer ⇒ reference) and P(reference ⇒ answer); ``claims`` =
    sentences. A premise longer than the model's input is split into token windows that fit with
    the hypothesis, overlapping by ``stride`` tokens (`premise_windows`), and the largest window
    score is used, so evidence beyond ``max_length`` tokens is not silently cut off; pairs are
    batched by length.

    Parameters: ``model`` (local path or hub name; see `rageval.judges.local.LocalModel`; default:
    the shipped entailment model `SHIPPED_MODEL`, a directory written by `rageval train-judge`:
    its trained tensors over the MiniLM base), ``revision``, ``entailment_label``,
    ``max_length`` (default: the tokenizer's limit, at most 512), ``stride`` (default: the one the
    model was trained with, else 64), ``batch_size``, ``device``,
    ``relevance_hypothesis``, ``addresses_hypothesis``, ``allow_download``, ``cache_dir``.
    """

    kind = "nli"

    version = "2"  # 2: token windows with stride (1: windows of whole sentences)

    def __init__(self, model: str | None = None, entailment_label: str | int | None = None,
                 max_length: int | None = None, stride: int | None = None, batch_size: int = 32,
                 device: str | None = None,
                 relevance_hypothesis: str = RELEVANCE_HYPOTHESIS, addresses_hypothesis: str = ADDRESSES_HYPOTHESIS,
                 revision: str | None = None, allow_download: bool = False, cache_dir: Any = DEFAULT_CACHE) -> None:
        super().__init__(cache_dir=cache_dir)
        if model is None:
            if not Path(SHIPPED_MODEL, MANIFEST_FILE).exists():
                raise ConfigError(f"nli judge: no model given and no shipped model at {SHIPPED_MODEL}; pass model=")
            model = SHIPPED_MODEL
        self._set_model(model, revision, allow_download)
        self._entailment_label = entailment_label
        self._max_length, self._stride, self.batch_size, self.device = max_length, stride, batch_size, device
        if stride is not None and (not isinstance(stride, int) or stride < 0):
            raise ConfigError(f"nli judge: stride must be an int >= 0, not {stride!r}")
        self.relevance_hypothesis, self.addresses_hypothesis = relevance_hypothesis, addresses_hypothesis
        for name, template in (("relevance_hypothesis", relevance_hypothesis),
                               ("addresses_hypothesis", addresses_hypothesis)):
            if "{question}" not in template:
                raise ConfigError(f"nli judge: {name} must contain {{question}}, got {template!r}")

    # --- model ------------------------------------------------------------------------------
    @functools.cached_property
    def config(self) -> Any:
        import transformers

        return transformers.AutoConfig.from_pretrained(self.path, local_files_only=True)

    @functools.cached_property
    def entailment_index(self) -> int | None:
        """Index of the entailment logit, or None for a single-logit cross-encoder."""
        id2label = {int(k): str(v) for k, v in (self.config.id2label or {}).items()}
        if self.config.num_labels == 1:
            return None
        label = self._entailment_label
        if label is None:
            found = [i for i, name in id2label.items() if "entail" in name.lower() and "not" not in name.lower()]
            if len(found) != 1:
                raise ConfigError(f"nli judge: cannot tell the entailment label of {self.model_name} from "
                                  f"config.id2label={id2label}; pass entailment_label=<name or index>")
            return found[0]
        if isinstance(label, int) and label in id2label:
            return label
        matches = [i for i, name in id2label.items() if name.lower() == str(label).lower()]
        if not matches:
            raise ConfigError(f"nli judge: entailment_label {label!r} is not in config.id2label={id2label}")
        return matches[0]

    @functools.cached_property
    def max_length(self) -> int:
        if self._max_length:
            return int(self._max_length)
        tokenizer, _ = self._load()
        limit = getattr(tokenizer, "model_max_length", 512) or 512
        positions = getattr(self.config, "max_position_embeddings", None) or 512
        return int(min(limit, positions, 512))

    @functools.cached_property
    def stride(self) -> int:
        if self._stride is not None:
            return int(self._stride)
        manifest = Path(self.path, MANIFEST_FILE)
        if manifest.exists():
            import json

            return int(json.loads(manifest.read_text(encoding="utf-8")).get("stride", 64))
        return 64

    def _load(self) -> tuple[Any, Any]:
        return load_nli_model(self.path, self.device)

    def signature_items(self) -> dict[str, Any]:
        items = {**super().signature_items(), **self.model_items(),
                 "entailment": "sigmoid" if self.entailment_index is None else self.entailment_index}
        if self._max_length:
            items["max_length"] = self._max_length
        if self._stride is not None:
            items["stride"] = self._stride
        if self.relevance_hypothesis != RELEVANCE_HYPOTHESIS or self.addresses_hypothesis != ADDRESSES_HYPOTHESIS:
            items.update(relevance_hypothesis=self.relevance_hypothesis, addresses_hypothesis=self.addresses_hypothesis)
        return items

    # --- scoring ----------------------------------------------------------------------------
    def pair_scores(self, premises: list[str], hypotheses: list[str]) -> list[float]:
        """The score of each (premise, hypothesis) pair (see the class docstring), cached per pair."""
        pairs = [[p, h] for p, h in zip(premises, hypotheses)]

        def compute(index: list[int]):
            windows, owner = [], []
            for i in index:
                for w in self._windows(*pairs[i]):
                    windows.append(w)
                    owner.append(i)
            scores = self._forward(windows)
            self._record(calls=len(windows))
            best: dict[int, float] = {}
            for i, s in zip(owner, scores):
                best[i] = max(best.get(i, 0.0), s)
            yield from best.items()

        return self._cached("pair", pairs, compute)

    def _windows(self, premise: str, hypothesis: str) -> list[tuple[str, str]]:
        """The premise whole when the pair fits ``max_length``; else its token windows (`premise_windows`)."""
        tokenizer, _ = self._load()
        return [(w, hypothesis) for w in premise_windows(tokenizer, premise, hypothesis, self.max_length, self.stride)]

    def _forward(self, pairs: list[tuple[str, str]]) -> list[float]:
        import torch

        tokenizer, model = self._load()
        out = [0.0] * len(pairs)
        entail = self.entailment_index
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))  # less padding
        for start in range(0, len(pairs), self.batch_size):
            idx = order[start:start + self.batch_size]
            chunk = [pairs[i] for i in idx]
            first = [p if entail is not None else h for p, h in chunk]
            second = [h if entail is not None else p for p, h in chunk]
            # windows fit max_length; the rare pair that does not (a hypothesis near max_length) loses
            # tokens from its longer side, never fails
            truncation = "longest_first"
            enc = tokenizer(first, second, padding=True, truncation=truncation, max_length=self.max_length,
                            return_tensors="pt").to(model.device)
            with torch.inference_mode():
                logits = model(**enc).logits.float()
            probs = torch.sigmoid(logits[:, 0]) if entail is None else torch.softmax(logits, dim=-1)[:, entail]
            for i, v in zip(idx, probs.cpu().tolist()):
                out[i] = v
        return out

    def _support(self, premises: list[str], claims: list[str]) -> list:
        return self.pair_scores(premises, claims)

    def _relevance(self, questions: list[str], passages: list[str]) -> list:
        if self.entailment_index is None:
            return self.pair_scores(passages, questions)
        return self.pair_scores(passages, [self.relevance_hypothesis.replace("{question}", q) for q in questions])

    def _addresses(self, questions: list[str], answers: list[str]) -> list:
        if self.entailment_index is None:
            return self.pair_scores(answers, questions)
        return self.pair_scores(answers, [self.addresses_hypothesis.replace("{question}", q) for q in questions])
