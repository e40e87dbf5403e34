"""MODEL_CARD.md and the console summary, written from metrics.json."""

from __future__ import annotations

from training import report_shift


def _pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x * 100:.{digits}f}%"


def _ci(ci: list[float]) -> str:
    return f"[{ci[0] * 100:.1f}, {ci[1] * 100:.1f}]"


def _check(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets(m: dict) -> list[tuple[str, str, str, bool]]:
    v, pc = m["val"], m["val"]["per_class"]
    probe = v["age_shortcut_probe"]
    syn = m["ood"]["synthetic_rejected"]["rejected_rate"]
    real = m["ood"]["real_rejected"]["rejected_rate"]
    grey = m["ood"]["real_rejected_greyscale_model_only"]["rejected_rate"]
    su = m["style_suite"]["summary"]
    min_sens = min(c["sensitivity"] for c in pc.values())
    rows = [
        ("accuracy", ">= 98.5%", _pct(v["accuracy"], 2), v["accuracy"] >= 0.985),
        ("every class sensitivity", ">= 97%", _pct(min_sens), min_sens >= 0.97),
        ("COVID-19 sensitivity", ">= 98%", _pct(pc["COVID-19"]["sensitivity"]), pc["COVID-19"]["sensitivity"] >= 0.98),
        ("COVID-19 PPV", ">= 98%", _pct(pc["COVID-19"]["ppv"]), pc["COVID-19"]["ppv"] >= 0.98),
        ("ECE (after calibration)", "<= 2%", _pct(v["ece_after_calibration"], 2), v["ece_after_calibration"] <= 0.02),
        ("pediatric Normal called Viral Pneumonia", "<= 2%", _pct(probe["pediatric_normal_called_viral"]),
         (probe["pediatric_normal_called_viral"] or 0) <= 0.02),
        ("style suite: every style's agreement with clean", ">= 95%", _pct(su["min_agreement"]), su["min_agreement"] >= 0.95),
        ("style suite: mean agreement over styles", ">= 97%", _pct(su["mean_agreement"]), su["mean_agreement"] >= 0.97),
        ("style suite: every style's accuracy", ">= 96%", _pct(su["min_accuracy"]), su["min_accuracy"] >= 0.96),
        ("style suite: adult Normals called COVID-19 (worst style)", "<= 2%", _pct(su["max_adult_normal_called_covid"]),
         su["max_adult_normal_called_covid"] <= 0.02),
        ("style suite: ECE (worst style)", "<= 4%", _pct(su["max_ece"]), su["max_ece"] <= 0.04),
        ("style suite: accepted by the OOD gate (worst style)", ">= 99%", _pct(su["min_ood_accepted"]),
         su["min_ood_accepted"] >= 0.99),
        ("val accepted by the OOD gate", ">= 99.5%", _pct(v["ood_accepted_rate"], 2), v["ood_accepted_rate"] >= 0.995),
        ("synthetic non-X-rays rejected", ">= 99%", _pct(syn), syn >= 0.99),
        ("real non-X-rays rejected (never trained on)", ">= 99%", _pct(real), real >= 0.99),
        ("  same, greyscale, network gate only", ">= 99%", _pct(grey), grey >= 0.99),
        ("int8/fp32 top-1 agreement", ">= 99.5%", _pct(m["fp32"]["int8_fp32_top1_agreement"], 2),
         m["fp32"]["int8_fp32_top1_agreement"] >= 0.995),
        ("accepted cases correct (after referral)", ">= 99.5%", _pct(v["referral"]["accepted_accuracy"], 2),
         (v["referral"]["accepted_accuracy"] or 0) >= 0.995),
        ("shipped model file", "<= 10 MB", f"{m['model']['size_bytes'] / 1e6:.2f} MB", m["model"]["size_bytes"] <= 10e6),
    ]
    return rows


def summary(m: dict) -> str:
    lines = [f"{name:58s} target {goal:>9s}  got {got:>8s}  {_check(ok)}" for name, goal, got, ok in targets(m)]
    lines.append(f"referral rate {_pct(m['val']['referral']['referral_rate'])}, model {m['model']['size_bytes'] / 1e6:.2f} MB, "
                 f"training {m['training']['train_seconds'] / 60:.1f} min + "
                 f"{m.get('after_training_seconds', 0) / 60:.1f} min after it")
    return "\n".join(lines)


def _bias_text(m: dict) -> str:
    bias = m.get("logit_bias") or {}
    return ", ".join(f"{k.replace('_', ' ')} {v:+.3f}" for k, v in bias.items()) or "none"


def _changes(m: dict) -> str:
    if not m.get("before"):
        return """## Known weakness: image processing (style shift)
This model was trained before the style-shift suite existed, without acquisition-style augmentation.
Every adult Normal in its training data comes from one collection processed one way, so "not that
collection's look" pushes it towards COVID-19: the suite below shows how far (edge enhancement, CLAHE,
sigmoid curves and off-centre crops move many adult Normals to COVID-19). Read its answer on a
radiograph from another hospital with that in mind."""
    return f"""## What changed from v1, and why
v1 had learnt a shortcut: every adult Normal comes from one collection processed one way, so
"not that collection's look" meant COVID-19 (edge enhancement made 18% of adult Normals COVID-19).
This model is trained with the acquisition styles of the suite below as augmentation on every class
alike (random parameters, never the suite's values), with intensity standardisation in the app's own
preprocessing (`{m.get('training', {}).get('intensity', 'none')}`: histogram equalisation of the squashed image, so any monotonic
contrast curve gives nearly the same input), with the 2,500 `train_extra` adult Normals, and with the
out-of-distribution statistics fitted on clean and styled training images.

{report_shift.val_before_after(m)}"""


def model_card_markdown(m: dict) -> str:
    v, pc = m["val"], m["val"]["per_class"]
    probe = v["age_shortcut_probe"]
    t = m["training"]
    cfg = t["config"]
    rows = "\n".join(
        f"| {name} | {c['support']} | {_pct(c['sensitivity'])} {_ci(c['sensitivity_ci95'])} | "
        f"{_pct(c['specificity'])} {_ci(c['specificity_ci95'])} | {_pct(c['ppv'])} {_ci(c['ppv_ci95'])} | "
        f"{c['f1']:.3f} [{c['f1_ci95'][0]:.3f}, {c['f1_ci95'][1]:.3f}] | "
        f"{c['roc_auc']:.4f} [{c['roc_auc_ci95'][0]:.4f}, {c['roc_auc_ci95'][1]:.4f}] |"
        for name, c in pc.items()
    )
    target_rows = "\n".join(f"| {name} | {goal} | {got} | {_check(ok)} |" for name, goal, got, ok in targets(m))
    cm = v["confusion_matrix"]
    cm_rows = "\n".join(f"| **{lab}** | " + " | ".join(str(x) for x in row) + " |"
                        for lab, row in zip(cm["rows_true_cols_pred"], cm["counts"]))
    syn = m["ood"]["synthetic_rejected"]
    real = m["ood"]["real_rejected"]
    grey = m["ood"]["real_rejected_greyscale_model_only"]
    kinds = "\n".join(f"| {k} | {d['n']} | {_pct(d['rejected'])} |" for k, d in {**syn["per_kind"], **real["per_kind"]}.items())
    samples = "\n".join(
        f"| {s['file']} | {s['predicted'] if not s['out_of_distribution'] else 'not a chest X-ray'} | "
        f"{max(s['probabilities'].values()) * 100:.1f}% | {'yes' if s['uncertain'] else 'no'} | {s['ood_score']:.2f} |"
        for s in m["samples_full_resolution"]
    )
    return f"""# Model card: {m['model']['name']} {m['model']['version']}

A small convolutional network (ResNet-style, {m['model']['parameters'] / 1e6:.2f} M parameters,
int8, {m['model']['size_bytes'] / 1e6:.2f} MB) that reads a frontal chest X-ray and gives calibrated
probabilities for **COVID-19**, **Normal** and **Viral Pneumonia**, a class-activation heatmap, and
an out-of-distribution flag. Every figure below was measured by `python -m training.pipeline` on
the int8 model exactly as shipped, through the app's own loader and `Classifier`. Figures of the
previous model (v1) are shown beside them where both were measured the same way
(`python -m training.assess`, kept in `before_v1.json`).

{_changes(m)}

## Style-shift suite (`training/styles.py`, `val`, seeded)
Each `val` image processed the way another machine might (fixed parameters, fixed seed), through the
app's `Classifier`. Before -> **after**.

{report_shift.style_table(m)}

![style suite](style_suite.png)

## Source probe
How well the image's source collection can be read from the pooled features (lower is better):

{report_shift.probe_text(m)}

## Heatmap sanity
{report_shift.heatmap_text(m)}

## Known failure modes
{report_shift.failure_modes(m)}

## Intended use
A second opinion for a trained health worker while waiting for a radiologist, in a clinic without
one. The result must be read together with the clinical picture and confirmed by a qualified reader.

## Not intended for
- Diagnosis, triage without a clinician, or ruling a disease out.
- Lateral views, CT, other body parts, or anything that is not a frontal chest radiograph (the
  OOD gate tries to refuse these; it is not perfect).
- Other diseases: the model only knows three classes. A bacterial pneumonia, tuberculosis, a
  tumour or a pneumothorax will be forced into one of them (most often not "Normal", but no promise).
- Adult viral pneumonia and pediatric COVID-19: **absent from the training data** (see bias below).

## Data
`cxr3`: 8,484 224x224 grayscale chest X-rays (+ 2,500 `train_extra` adult Normals), group-safe `train`/`val` splits (no patient or
near-duplicate across splits). From `train`, {t['n_calibration']} images (whole groups, stratified by
class and age) were held out as a **calibration split** for temperature scaling and thresholds;
{t['n_train']} were used for training; `val` ({t['n_val']}) is only used for the figures below
(and for the learning curve, which selected nothing).
- COVID-19 Radiography Database (Chowdhury et al., *Can AI help in screening viral and COVID-19
  pneumonia?*, IEEE Access 8:132665, 2020; Rahman et al., *Exploring the effect of image
  enhancement techniques on COVID-19 detection using chest X-ray images*, Comput. Biol. Med. 2021).
- Viral Pneumonia: Kermany, Zhang, Goldbaum, *Labeled Optical Coherence Tomography (OCT) and Chest
  X-Ray Images for Classification*, Mendeley Data v2, 2018 (CC BY 4.0) — children aged 1-5.
Research and education data; not a clinically validated data set.

## Known bias: age
Every Viral Pneumonia image is of a child and every COVID-19 image is of an adult, so "child"
alone predicts "viral pneumonia". Training counters it by giving pediatric Normals
{cfg['pediatric_normal_share'] * 100:.0f}% of the Normal class's loss weight (they are ~13% of Normals). The probe on `val`:

| | n | called Viral Pneumonia |
|---|---|---|
| pediatric Normal | {probe['pediatric_normal_n']} | {_pct(probe['pediatric_normal_called_viral'])} {_ci(probe['pediatric_normal_called_viral_ci95'])} |
| adult Normal | {probe['adult_normal_n']} | {_pct(probe['adult_normal_called_viral'])} {_ci(probe['adult_normal_called_viral_ci95'])} |

The gap that remains is the shortcut still at work: treat a "Viral Pneumonia" call on a child,
and any call on a patient whose age group is absent from a class, with extra caution.

## Performance on `val` (int8 model as shipped; 95% CIs: Wilson, bootstrap for F1/AUC)
Accuracy {_pct(v['accuracy'], 2)} {_ci(v['accuracy_ci95'])}, balanced accuracy {_pct(v['balanced_accuracy'], 2)}.

| class | n | sensitivity | specificity | PPV | F1 | ROC AUC |
|---|---|---|---|---|---|---|
{rows}

Confusion matrix (rows: truth, columns: prediction):

| | {' | '.join(cm['rows_true_cols_pred'])} |
|---|---|---|---|
{cm_rows}

![confusion matrix](confusion_matrix.png)

## Calibration and abstention
Bias-corrected temperature scaling: probabilities are softmax(logits / T + b) with
T = {m['temperature']:.3f} and per-class offsets b = {_bias_text(m)}, all fitted by negative
log-likelihood on the calibration split (never on val). The offsets correct the network's
tendency to under-call a class; they do not change the ranking within a class. ECE on val:
{_pct(v['ece_before_calibration'], 2)} before, {_pct(v['ece_after_calibration'], 2)} after.
A case is marked **uncertain — refer** when its top probability is below
{m['uncertain_below']:.3f}, the lowest threshold at which accepted cases of the calibration split are
>= {_pct(m.get('target_accuracy_on_calibration', 0.995), 1)} correct (the goal is 99.5%; the margin covers the noise of
estimating it on ~800 images).
On val: {_pct(v['referral']['referral_rate'])} referred, accepted cases
{_pct(v['referral']['accepted_accuracy'], 2)} correct {_ci(v['referral']['accepted_accuracy_ci95'])}.

![reliability](reliability.png)

## Out-of-distribution gate
Two scores, each with a threshold (model card `ood.scores`): the Mahalanobis distance of the
pooled features to the nearest class mean (shared, shrunk covariance of the training features),
and an "outlier" head trained with outlier exposure on procedurally generated non-X-rays
(noise, blank, patterns, documents, screenshots, charts, natural-like scenes, CT/MR-like slices,
radiograph-like images of limbs, hands, skulls, pelvis). Thresholds at the
{m['ood']['policy']['quantile']} quantile of the calibration split times {m['ood']['policy']['margin']}.
Val chest X-rays accepted: {_pct(v['ood_accepted_rate'], 2)}. Rejected: synthetic images of fresh
seeds {_pct(syn['rejected_rate'])} (n={syn['n']}); real images from installed packages, never
trained on, opened as files the way the app opens them {_pct(real['rejected_rate'])} (n={real['n']}:
crops and rotations of a handful of sources, so far less independent than n suggests); the same
images converted to grey, so that only the network's gate can reject them,
{_pct(grey['rejected_rate'])}. A colour check (model card `ood.max_colorfulness`) also refuses
colourful pictures: radiographs are grey even when saved as RGB.

| kind | n | rejected |
|---|---|---|
{kinds}

![OOD scores](ood_scores.png)

Real other-body-part radiographs, real CT/MR slices and lateral chest views were not available
here; the synthetic stand-ins are crude. Expect some of those to pass the gate.

## Full-resolution samples (other collections)
| file | prediction | top probability | uncertain | OOD score |
|---|---|---|---|---|
{samples}

## Targets
| target | goal | measured | |
|---|---|---|---|
{target_rows}

int8 vs fp32: top-1 agreement {_pct(m['fp32']['int8_fp32_top1_agreement'], 2)}; fp32 val accuracy {_pct(m['fp32']['val_accuracy'], 2)}.

## Training
ResNet, width {cfg['width']}, blocks {cfg['blocks']}, {cfg['epochs']} epochs (the first
{int(cfg['epochs'] * cfg.get('low_res_fraction', 0))} at {cfg.get('low_res_size', 224)} px, then 224 px), AdamW (lr {cfg['lr']}, wd
{cfg['weight_decay']}), warmup + cosine, label smoothing {cfg['label_smoothing']}, EMA of weights
({cfg['ema_decay']}), bf16 autocast + channels_last, class-balanced and age-balanced loss, augmentation
(rotation, zoom, aspect ratio, shift, resolution loss, blur, contrast/brightness/gamma, noise,
burned-in markers; no horizontal flip), acquisition styles (`training/augment.py`, probability
{cfg.get('style_prob', 0)} per image, a second one 35% of those), {cfg['negatives_per_batch']} synthetic negatives per batch;
{t.get('n_train_extra', 0)} of the {t['n_train']} training images are the `train_extra` adult Normals.
Training took {t['train_seconds'] / 60:.1f} min on `{t['machine']}` with {cfg['threads']} threads; the steps
after it (export, quantisation, calibration, evaluation) {m.get('after_training_seconds', 0) / 60:.1f} min. Data manifest sha256 `{t['data_manifest_sha256']}`,
code `{t['code_commit']}`, torch {t['torch']}.

![training curves](training_curves.png)

## Limitations
- Three classes only, from two public collections with different sources per class: the model may
  partly recognise the *source* (scanner, processing, age) rather than the disease. Results on
  radiographs from other hospitals will be lower than on `val`.
- 224x224 input: fine detail is lost.
- Heatmaps show where the network looked, not where the disease is.
"""
