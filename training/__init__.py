"""Training pipeline: data -> train -> calibrate -> export ONNX -> quantize -> evaluate -> model card.

Run: python -m training.pipeline --data ../shared/data/cxr3 --out assets/model
"""
