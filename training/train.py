"""Train CxrNet: AdamW + warmup/cosine, class- and age-balanced loss, outlier exposure, EMA weights.

Resumable: a checkpoint is written after every epoch to ``<run>/checkpoint.pt`` and picked up
again by a later run with the same run folder.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cxr_desktop.core.preprocess import PreprocessSpec
from training.augment import style_batch
from training.data import (
    LABELS,
    Split,
    augment,
    standardize_batch,
    standardize_unit,
    to_model_input,
)
from training.model import CxrNet


@dataclass
class TrainConfig:
    width: int = 32
    blocks: tuple[int, ...] = (1, 2, 2, 1)
    epochs: int = 60  # cxr3-resnet 2.1.0; 2.0.0 had 22 (not converged: 94.7% on val)
    #: Images drawn per epoch, with replacement, in proportion to the class- and age-balanced
    #: weights (then an unweighted loss); 0: every image once per epoch with a weighted loss.
    epoch_samples: int = 6000
    low_res_size: int = 160  # progressive resizing: the first epochs train on smaller images (faster)
    low_res_fraction: float = 0.6
    aug_strength: float = 0.85
    eval_every: int = 2  # val accuracy for the learning curve (selects nothing)
    batch_size: int = 32
    negatives_per_batch: int = 6
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.05
    outlier_weight: float = 0.5
    uniform_weight: float = 0.3
    pediatric_normal_share: float = 0.3  # of the Normal class's loss weight (they are ~13% of Normals)
    ema_decay: float = 0.998
    style_prob: float = 0.7  # acquisition-style augmentation (training.augment), every class alike
    seed: int = 0
    threads: int = 2
    device: str = "auto"
    extra: dict = field(default_factory=dict)


def pick_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def sample_weights(split: Split, cfg: TrainConfig) -> np.ndarray:
    """Each class weighs the same in total; within Normal, children get ``pediatric_normal_share``.

    All Viral Pneumonia images are pediatric, so without this a model can call every child
    'Viral Pneumonia'. Upweighting pediatric Normals makes age alone a costly rule.
    """
    w = np.zeros(len(split), np.float64)
    normal = LABELS.index("Normal")
    for c in range(len(LABELS)):
        members = split.labels == c
        if c == normal and split.pediatric[members].any() and (~split.pediatric[members]).any():
            ped, adult = members & split.pediatric, members & ~split.pediatric
            w[ped] = cfg.pediatric_normal_share / ped.sum()
            w[adult] = (1 - cfg.pediatric_normal_share) / adult.sum()
        elif members.any():
            w[members] = 1.0 / members.sum()
    return w / w.mean()


def lr_at(step: float, total: float, warmup: float, base: float) -> float:
    if step < warmup:
        return base * step / max(1.0, warmup)
    return base * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1.0, total - warmup)))


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for e, m in zip(ema.state_dict().values(), model.state_dict().values()):
        if e.dtype.is_floating_point:
            e.mul_(decay).add_(m.detach(), alpha=1 - decay)
        else:
            e.copy_(m)


@torch.no_grad()
def predict_logits(model: CxrNet, images: np.ndarray, spec: PreprocessSpec, device: torch.device,
                   batch: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class logits, outlier logits, pooled features) for un-augmented uint8 images, fp32."""
    model.eval()
    outs = ([], [], [])
    for i in range(0, len(images), batch):
        x = to_model_input(torch.from_numpy(standardize_batch(images[i:i + batch], spec)), spec).to(device)
        x = x.contiguous(memory_format=torch.channels_last)
        for o, t in zip(outs, model(x)):
            o.append(t.float().cpu().numpy())
    return tuple(np.concatenate(o) for o in outs)  # type: ignore[return-value]


def _progress(epoch: int, epochs: int, step: int, steps: int, loss: float, rate: float) -> None:
    done = int(30 * step / steps)
    sys.stderr.write(f"\repoch {epoch + 1}/{epochs} [{'#' * done}{'.' * (30 - done)}] "
                     f"{step}/{steps} loss {loss:.3f} {rate:.0f} img/s ")
    sys.stderr.flush()


def train(cfg: TrainConfig, train_split: Split, val_split: Split, negatives: np.ndarray,
          spec: PreprocessSpec, run_dir: Path) -> tuple[CxrNet, list[dict]]:
    """Returns the EMA model (eval mode, fp32, on CPU) and the per-epoch history."""
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    autocast_dtype = torch.bfloat16
    model = CxrNet(len(LABELS), cfg.width, cfg.blocks).to(device).to(memory_format=torch.channels_last)
    ema = copy.deepcopy(model)
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)
    weights = torch.from_numpy(sample_weights(train_split, cfg)).float()
    labels = torch.from_numpy(train_split.labels)
    images = torch.from_numpy(train_split.images)
    neg_images = torch.from_numpy(negatives)
    n, bs = len(train_split), cfg.batch_size
    per_epoch = min(cfg.epoch_samples, n) if cfg.epoch_samples else n
    steps = max(1, per_epoch // bs)
    total_steps, warmup_steps = steps * cfg.epochs, steps * cfg.warmup_epochs
    gen = torch.Generator().manual_seed(cfg.seed)
    style_rng = np.random.default_rng(cfg.seed)
    history: list[dict] = []
    start_epoch = 0
    ckpt_path = run_dir / "checkpoint.pt"
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ckpt["config"] == asdict(cfg):
            model.load_state_dict(ckpt["model"])
            ema.load_state_dict(ckpt["ema"])
            opt.load_state_dict(ckpt["opt"])
            gen.set_state(ckpt["gen"])
            style_rng.bit_generator.state = ckpt.get("style_rng", style_rng.bit_generator.state)
            history, start_epoch = ckpt["history"], ckpt["epoch"] + 1
            print(f"resumed from {ckpt_path} at epoch {start_epoch}", file=sys.stderr)
        else:
            print(f"ignoring {ckpt_path}: made with another config", file=sys.stderr)

    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        size = cfg.low_res_size if epoch < int(cfg.epochs * cfg.low_res_fraction) else spec.input_size
        if cfg.epoch_samples:
            order = torch.multinomial(weights, per_epoch, replacement=True, generator=gen)
        else:
            order = torch.randperm(n, generator=gen)
        t0, seen, loss_sum, correct = time.time(), 0, 0.0, 0
        for step in range(steps):
            lr = lr_at(epoch * steps + step, total_steps, warmup_steps, cfg.lr)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = order[step * bs:(step + 1) * bs]
            neg_idx = torch.randint(0, len(neg_images), (cfg.negatives_per_batch,), generator=gen)
            raw = torch.cat([images[idx], neg_images[neg_idx]])
            if cfg.style_prob > 0:
                raw = torch.from_numpy(style_batch(raw.numpy(), style_rng, cfg.style_prob))
            x = standardize_unit(augment(raw, gen, cfg.aug_strength), spec)
            if size != spec.input_size:
                x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            x = to_model_input(x, spec, already_unit=True).to(device).contiguous(memory_format=torch.channels_last)
            y = labels[idx].to(device)
            w = torch.ones(len(idx), device=device) if cfg.epoch_samples else weights[idx].to(device)
            with torch.autocast(device.type, dtype=autocast_dtype):
                logits, outlier, _ = model(x)
            logits, outlier = logits.float(), outlier.float()
            k = len(idx)
            ce = F.cross_entropy(logits[:k], y, reduction="none", label_smoothing=cfg.label_smoothing)
            loss = (ce * w).mean()
            if cfg.negatives_per_batch:
                uniform = -F.log_softmax(logits[k:], dim=1).mean()
                is_neg = torch.cat([torch.zeros(k), torch.ones(len(neg_idx))]).to(device)
                loss = loss + cfg.uniform_weight * uniform + cfg.outlier_weight * F.binary_cross_entropy_with_logits(outlier, is_neg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            ema_update(ema, model, cfg.ema_decay if epoch * steps + step > warmup_steps else 0.0)
            seen += k
            loss_sum += loss.item() * k
            correct += int((logits[:k].argmax(1) == y).sum())
            if step % 10 == 0 or step == steps - 1:
                _progress(epoch, cfg.epochs, step + 1, steps, loss_sum / seen, seen / (time.time() - t0))
        record = {"epoch": epoch + 1, "lr": lr, "input_size": size, "train_loss": loss_sum / seen,
                  "train_acc": correct / seen, "seconds": time.time() - t0, "images_per_s": seen / (time.time() - t0)}
        if (epoch + 1) % cfg.eval_every == 0 or epoch + 1 == cfg.epochs:
            val_logits, _, _ = predict_logits(ema, val_split.images, spec, device)
            record["val_acc"] = float((val_logits.argmax(1) == val_split.labels).mean())
            record["val_loss"] = float(F.cross_entropy(torch.from_numpy(val_logits), torch.from_numpy(val_split.labels)))
        history.append(record)
        sys.stderr.write("\n")
        print(json.dumps(record), file=sys.stderr)
        torch.save({"config": asdict(cfg), "model": model.state_dict(), "ema": ema.state_dict(),
                    "opt": opt.state_dict(), "gen": gen.get_state(),
                    "style_rng": style_rng.bit_generator.state, "history": history, "epoch": epoch},
                   run_dir / "checkpoint.tmp")
        (run_dir / "checkpoint.tmp").replace(ckpt_path)
    ema = ema.float().cpu().eval().to(memory_format=torch.contiguous_format)
    return ema, history
