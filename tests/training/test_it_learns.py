"""It learns: a tiny random GPT-2 trained on a toy copy task with a rageval reward (chrF) through
`mrt_loss` and `self_critical_loss` improves its mean reward within 50 steps, for 3 seeds; and TRL's
GRPOTrainer runs with a rageval reward function."""
from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from rageval.training import async_reward, mrt_loss, reward, self_critical_loss  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")
STEPS, SOURCES, SAMPLES = 50, 16, 8


class Policy:
    """The LM restricted to the letters (the action space of the copy task)."""

    def __init__(self, path: str, task) -> None:
        self.model = transformers.AutoModelForCausalLM.from_pretrained(path)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        self.letter_ids = torch.tensor(self.tokenizer.convert_tokens_to_ids(task.letters))
        self.task = task

    def letter_logprobs(self, ids: torch.Tensor, start: int) -> torch.Tensor:
        """log π(letter | prefix) at positions start-1 ... end-2, shape (batch, steps, letters)."""
        logits = self.model(ids).logits[:, start - 1:-1][..., self.letter_ids]
        return logits.log_softmax(-1)

    @torch.no_grad()
    def decode(self, prompts: torch.Tensor, greedy: bool, generator: torch.Generator) -> torch.Tensor:
        ids = prompts
        for _ in range(self.task.length):
            logp = self.model(ids).logits[:, -1][:, self.letter_ids].log_softmax(-1)
            pick = logp.argmax(-1) if greedy else torch.multinomial(logp.exp(), 1, generator=generator)[:, 0]
            ids = torch.cat([ids, self.letter_ids[pick][:, None]], dim=1)
        return ids

    def seq_logprobs(self, ids: torch.Tensor, start: int) -> torch.Tensor:
        """log P(completion | prompt), with gradient."""
        logp = self.letter_logprobs(ids, start)
        index = (ids[:, start:, None] == self.letter_ids).float().argmax(-1)
        return logp.gather(-1, index[..., None])[..., 0].sum(-1)

    def texts(self, ids: torch.Tensor, start: int) -> list[str]:
        return [" ".join(self.tokenizer.convert_ids_to_tokens(row)) for row in ids[:, start:].tolist()]


def train(path: str, task, seed: int, method: str, lr: float = 3e-3) -> list[float]:
    """Mean chrF reward (0-1) per step over ``STEPS`` steps of ``method``."""
    torch.manual_seed(seed)
    rng, gen = random.Random(seed), torch.Generator().manual_seed(seed)
    policy = Policy(path, task)
    optimizer = torch.optim.Adam(policy.model.parameters(), lr=lr)
    chrf = reward("chrf", scale=True)
    history = []
    for _ in range(STEPS):
        sources = task.sources(rng, SOURCES)
        prompts = torch.tensor([policy.tokenizer.convert_tokens_to_ids(task.prompt_of(s).split()) for s in sources])
        start = prompts.shape[1]
        samples = policy.decode(prompts.repeat_interleave(SAMPLES, 0), greedy=False, generator=gen)
        refs = [s for s in sources for _ in range(SAMPLES)]
        r = torch.tensor(chrf(prompts=refs, completions=policy.texts(samples, start), reference=refs)).view(-1, SAMPLES)
        logp = policy.seq_logprobs(samples, start).view(-1, SAMPLES)
        if method == "mrt":
            loss = mrt_loss(logp, r, alpha=1.0)
        else:
            greedy = policy.decode(prompts, greedy=True, generator=gen)
            g = torch.tensor(chrf(prompts=sources, completions=policy.texts(greedy, start), reference=sources))
            loss = self_critical_loss(logp, r, g)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(float(r.mean()))
    return history


@pytest.mark.parametrize("method", ["mrt", "self_critical"])
@pytest.mark.parametrize("seed", range(3))
def test_reward_improves(tiny_copy_lm, copy_task, method, seed):
    history = train(tiny_copy_lm, copy_task, seed, method)
    first, last = np.mean(history[:10]), np.mean(history[-10:])
    assert last > first, (method, seed, first, last)


def test_grpo_trainer_runs_with_a_rageval_reward(tiny_copy_lm, copy_task, tmp_path):
    trl = pytest.importorskip("trl")
    datasets = pytest.importorskip("datasets")
    rng = random.Random(0)
    sources = copy_task.sources(rng, 8)
    data = datasets.Dataset.from_dict({"prompt": [copy_task.prompt_of(s) for s in sources], "reference": sources})
    calls = []
    chrf = reward("chrf", scale=True)

    def logged(**kwargs):
        out = chrf(**kwargs)
        calls.append((kwargs, out))
        return out

    logged.__name__ = chrf.__name__
    config = trl.GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4,
                            max_completion_length=copy_task.length, max_steps=2, learning_rate=1e-3, logging_steps=1,
                            report_to=[], save_strategy="no", use_cpu=True, seed=0, disable_tqdm=True)
    trainer = trl.GRPOTrainer(model=tiny_copy_lm, reward_funcs=[logged, async_reward("rougeL")], args=config, train_dataset=data,
                              processing_class=transformers.AutoTokenizer.from_pretrained(tiny_copy_lm))
    trainer.train()
    assert calls, "GRPOTrainer never called the reward"
    for kwargs, out in calls:
        assert {"prompts", "completions", "completion_ids", "trainer_state", "reference"} <= set(kwargs)
        assert out == [chrf.scorer.example_scores(chrf.scorer.make_stats(
            {"answer": [c], "references": [[r]]}))["chrf"][0] / 100 for c, r in zip(kwargs["completions"],
                                                                                   kwargs["reference"])]
    for name in ("chrf", "rougeL"):  # TRL logs each reward under its function's __name__; the async one was awaited
        assert any(f"rewards/{name}/mean" in entry for entry in trainer.state.log_history), name
