"""PNG plots for the model card: training curves, confusion matrix, reliability, OOD scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def training_curves(history: list[dict], path: Path) -> None:
    plt = _plt()
    epochs = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    a.plot(epochs, [h["train_loss"] for h in history], label="train (augmented, weighted)")
    ev = [h for h in history if "val_loss" in h]
    a.plot([h["epoch"] for h in ev], [h["val_loss"] for h in ev], "o-", label="val")
    a.set_xlabel("epoch"), a.set_ylabel("loss"), a.legend(), a.set_title("Loss")
    b.plot(epochs, [h["train_acc"] for h in history], label="train (augmented)")
    b.plot([h["epoch"] for h in ev], [h["val_acc"] for h in ev], "o-", label="val (EMA weights)")
    b.set_xlabel("epoch"), b.set_ylabel("accuracy"), b.legend(), b.set_title("Accuracy")
    b.set_ylim(max(0.5, min(h["val_acc"] for h in ev) - 0.05), 1.0)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def confusion_matrix(counts: list[list[int]], labels: list[str], path: Path, title: str) -> None:
    plt = _plt()
    m = np.array(counts)
    fig, ax = plt.subplots(figsize=(5, 4.4), dpi=100)
    ax.imshow(m / m.sum(1, keepdims=True), cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(m[i, j]), ha="center", va="center",
                    color="white" if m[i, j] > m[i].sum() / 2 else "black", fontsize=12)
    names = [s.replace("_", " ") for s in labels]
    ax.set_xticks(range(len(labels)), names, rotation=20)
    ax.set_yticks(range(len(labels)), names)
    ax.set_xlabel("predicted"), ax.set_ylabel("true"), ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def reliability(y: np.ndarray, before: np.ndarray, after: np.ndarray, eces: tuple[float, float], path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    edges = np.linspace(0, 1, 16)
    for probs, name, e in ((before, "before (T=1)", eces[0]), (after, "after temperature scaling", eces[1])):
        conf, correct = probs.max(1), probs.argmax(1) == y
        xs, ys = [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            m = (conf > lo) & (conf <= hi)
            if m.sum() >= 5:
                xs.append(conf[m].mean()), ys.append(correct[m].mean())
        ax.plot(xs, ys, "o-", label=f"{name}: ECE {e * 100:.2f}%")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlabel("confidence (top class)"), ax.set_ylabel("accuracy"), ax.set_title("Reliability (val)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def ood_scores(val: np.ndarray, negatives: dict[str, np.ndarray], path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    bins = np.logspace(-2, 4, 70)
    def share(x: np.ndarray) -> np.ndarray:  # each group's bars sum to 1, whatever its size
        return np.full(len(x), 1.0 / max(1, len(x)))

    ax.hist(np.clip(val, 1e-2, 1e4), bins=bins, alpha=0.6, label="val chest X-rays", weights=share(val))
    for name, s in negatives.items():
        ax.hist(np.clip(s, 1e-2, 1e4), bins=bins, alpha=0.5, label=name, weights=share(s))
    ax.axvline(1.0, color="k", ls="--", label="threshold")
    ax.set_xscale("log"), ax.set_xlabel("OOD score (largest score / threshold)"), ax.set_ylabel("share of images")
    ax.legend()
    ax.set_title("Out-of-distribution score")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def style_suite(after: dict, before: dict | None, path: Path) -> None:
    """Per style: agreement with the clean prediction and adult Normals called COVID-19, before/after."""
    plt = _plt()
    names = list(after["styles"])
    y = np.arange(len(names))
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 0.32 * len(names) + 1.6), dpi=100, sharey=True)
    for ax, key, goal, title in ((a, "agreement_with_clean", 0.95, "agreement with the clean prediction"),
                                 (b, "adult_normal_called_covid", 0.02, "adult Normals called COVID-19")):
        h = 0.38
        if before:
            ax.barh(y - h / 2, [before["styles"].get(n, {}).get(key) or 0 for n in names], h,
                    color="#bbbbbb", label="before (v1)")
        ax.barh(y + (h / 2 if before else 0), [after["styles"][n][key] or 0 for n in names], h,
                color="#1f77b4", label="this model")
        ax.axvline(goal, color="red", lw=1, ls="--", label=f"target {goal:.0%}")
        ax.set_title(title), ax.set_xlim(0, 1), ax.legend(loc="lower right" if key.startswith("agree") else "upper right")
    a.set_yticks(y, names), a.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def heatmap_sanity(mean_map: np.ndarray, lung: np.ndarray, shares: dict[str, float], path: Path) -> None:
    """Mean COVID-19 CAM on COVID-19 val images with the lung-field estimate, and the lung share."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 4), dpi=100, gridspec_kw={"width_ratios": [1, 1.2]})
    a.imshow(mean_map, cmap="inferno")
    a.contour(lung, levels=[0.5], colors="cyan", linewidths=1)
    a.set_title("mean COVID-19 CAM (this model)\ncyan: lung-field estimate"), a.axis("off")
    colours = [{"before (v1)": "#bbbbbb", "this model": "#1f77b4"}.get(k, "#2ca02c") for k in shares]
    b.bar(list(shares), [v * 100 for v in shares.values()], color=colours)
    b.set_ylabel("% of CAM mass inside the lung fields"), b.set_ylim(0, 100)
    for i, v in enumerate(shares.values()):
        b.text(i, v * 100 + 1, f"{v:.0%}", ha="center")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
