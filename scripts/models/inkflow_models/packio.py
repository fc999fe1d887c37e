"""Writing packs: ONNX export (opset 17), fp16 I/O wrapping, golden tensors, pack.json.

Golden tensors are raw little-endian files (float32, float16, int64 or uint8) indexed by
``golden/index.json``: ``{"graphs": {graph: {"inputs": [spec], "outputs": [spec]}}, ...}`` with
``spec = {"name", "dtype", "shape", "file"}``. Java reads them with a ByteBuffer, no numpy format.
"""

import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch

OPSET = 17

_DTYPES = {
    TensorProto.FLOAT: "float32",
    TensorProto.FLOAT16: "float16",
    TensorProto.INT64: "int64",
    TensorProto.INT32: "int32",
    TensorProto.UINT8: "uint8",
    TensorProto.BOOL: "bool",
}


def export(module, args, path, input_names, output_names, dynamic_axes, output_shapes=None):
    """Export ``module`` to ``path`` (opset 17) and return the saved onnx.ModelProto.

    ``output_shapes`` (name -> dims, str = symbolic) declares output dims that the exporter could
    not infer and would otherwise name after an internal node.
    """
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes,
                          do_constant_folding=True)
    model = onnx.load(path)
    for value in model.graph.output:
        if output_shapes and value.name in output_shapes:
            dims = value.type.tensor_type.shape.dim
            declared = output_shapes[value.name]
            assert len(dims) == len(declared), (value.name, dims, declared)
            for dim, size in zip(dims, declared):
                dim.Clear()
                if isinstance(size, str):
                    dim.dim_param = size
                else:
                    dim.dim_value = size
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return model


def _value_spec(value):
    tensor = value.type.tensor_type
    shape = []
    for dim in tensor.shape.dim:
        shape.append(dim.dim_param if dim.dim_param else int(dim.dim_value))
    return {"name": value.name, "dtype": _DTYPES[tensor.elem_type], "shape": shape}


def io_spec(model):
    """The manifest's view of a graph: input and output names, dtypes and shapes (str = symbolic)."""
    initializers = {i.name for i in model.graph.initializer}
    return {
        "inputs": [_value_spec(v) for v in model.graph.input if v.name not in initializers],
        "outputs": [_value_spec(v) for v in model.graph.output],
    }


def wrap_fp16(model, min_weight_elements=256):
    """An fp16-I/O copy of an fp32 graph: float inputs and outputs become float16, float weights are
    stored as float16, and Casts to float32 keep the arithmetic in fp32 (CPU fp16 export fails with
    torch 1.13; on a GPU the same pack layout holds a true fp16 graph)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    head, tail = [], []

    for index, init in enumerate(list(graph.initializer)):
        if init.data_type != TensorProto.FLOAT:
            continue
        name = init.name
        array = numpy_helper.to_array(init)
        if array.size < min_weight_elements:
            continue
        half = numpy_helper.from_array(array.astype(np.float16), name + "__fp16")
        graph.initializer[index].CopyFrom(half)
        head.append(helper.make_node("Cast", [name + "__fp16"], [name], to=TensorProto.FLOAT,
                                     name="cast_weight_" + name))

    for value in graph.input:
        if value.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = value.name + "__fp32"
        for node in graph.node:
            for i, name in enumerate(node.input):
                if name == value.name:
                    node.input[i] = inner
        value.type.tensor_type.elem_type = TensorProto.FLOAT16
        head.append(helper.make_node("Cast", [value.name], [inner], to=TensorProto.FLOAT,
                                     name="cast_input_" + value.name))

    for value in graph.output:
        if value.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = value.name + "__fp32"
        for node in graph.node:
            for i, name in enumerate(node.output):
                if name == value.name:
                    node.output[i] = inner
            for i, name in enumerate(node.input):  # an output that later nodes also read
                if name == value.name:
                    node.input[i] = inner
        value.type.tensor_type.elem_type = TensorProto.FLOAT16
        tail.append(helper.make_node("Cast", [inner], [value.name], to=TensorProto.FLOAT16,
                                     name="cast_output_" + value.name))

    nodes = head + list(graph.node) + tail
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    return model


def round_fp16(module, min_elements=256):
    """Round a module's float weights to fp16 and back, in place: the fp32 twin of wrap_fp16."""
    with torch.no_grad():
        for p in list(module.parameters()) + list(module.buffers()):
            if p.dtype == torch.float32 and p.numel() >= min_elements:
                p.copy_(p.half().float())
    return module


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class GoldenWriter:
    """Collects golden tensors for a pack and writes golden/index.json."""

    def __init__(self, pack_dir):
        self.dir = os.path.join(pack_dir, "golden")
        os.makedirs(self.dir, exist_ok=True)
        self.index = {"graphs": {}}

    def tensor(self, prefix, name, array, dtype):
        array = np.ascontiguousarray(np.asarray(array).astype(dtype))
        file = "%s.%s.bin" % (prefix, name)
        with open(os.path.join(self.dir, file), "wb") as f:
            f.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
        names = {np.float32: "float32", np.float16: "float16", np.int64: "int64", np.uint8: "uint8"}
        return {"name": name, "dtype": names[dtype], "shape": list(array.shape), "file": file}

    def graph(self, graph, inputs, outputs):
        """inputs/outputs: lists of (name, array, numpy dtype)."""
        self.index["graphs"][graph] = {
            "inputs": [self.tensor(graph, n, a, d) for n, a, d in inputs],
            "outputs": [self.tensor(graph, n, a, d) for n, a, d in outputs],
        }

    def case(self, key, value):
        self.index[key] = value

    def write(self):
        write_json(os.path.join(self.dir, "index.json"), self.index)


def write_json(path, document):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(document, f, ensure_ascii=False, indent=2)
        f.write("\n")
