"""This machine (RAM, cores, CPU features, GPUs, disk) and whether a model fits on it.

The memory model is llama.cpp's own, calibrated against the peak RSS of the real model
process (bench/fit_accuracy.py records estimate versus measurement for several sizes).
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil

from converters.cores import sysctl as _sysctl
from converters.messages import say

from .gguf_header import read_header
from .library import file_type_name

MiB = 1024**2
GiB = 1024**3

# The worker child before any model: Python, the core's imports and llama.cpp's libraries
# (measured: 58 MiB resident on Linux x86_64, Python 3.11, llama-cpp-python 0.3.36).
PROCESS_OVERHEAD = 58 * MiB
# `fits` keeps this much of the available RAM free: the estimate's measured error is under
# 10 % (bench/RESULTS.md), and the window and the system need room too.
SAFETY_SHARE = 0.15
SAFETY_MIN = 512 * MiB
# The recommended quantization must leave more: a comfortable chat, not a tight one.
COMFORT_SHARE = 0.30
COMFORT_MIN = 1 * GiB
# Metal on Apple silicon may use about this share of the unified RAM (its default
# recommendedMaxWorkingSetSize on most Macs); the rest stays with the system.
UNIFIED_VRAM_SHARE = 2 / 3
# VRAM left free for the driver and the GPU's own compute buffers.
VRAM_RESERVE = 512 * MiB
# Best first: the quantizations a user is offered.
QUANT_LADDER = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")
# Bytes per K/V element in llama.cpp's cache (block types: 32 values + scale).
KV_BYTES = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
# On AVX2 and NEON CPUs llama.cpp copies these weights into an interleaved layout at load
# ("CPU_REPACK" buffer) while the file stays mapped: their bytes are resident twice.
REPACKED_TYPES = frozenset({"Q4_0", "Q4_K", "IQ4_NL"})  # gguf.GGMLQuantizationType names
# The share of a file's bytes in those types, where only the file type is known (measured
# on Llama-shaped Q4_K_M files: 0.72 at 1.1B, more at 7B where embeddings weigh less).
REPACKED_SHARE = {"Q4_0": 0.9, "IQ4_NL": 0.9, "Q4_K_S": 0.85, "Q4_K_M": 0.75, "Q3_K_M": 0.2}
FEATURES = ("avx", "avx2", "avx512f", "f16c", "fma", "neon")


@dataclass(frozen=True)
class Gpu:
    name: str
    total_vram: int
    free_vram: int


@dataclass(frozen=True)
class Machine:
    """What a model may use here. A CPU feature missing from `cpu_features` is unknown."""

    total_ram: int
    available_ram: int
    physical_cores: int
    logical_cores: int
    performance_cores: int | None = None  # Apple silicon's P-cores
    cpu_features: dict[str, bool] = field(default_factory=dict)
    gpu_offload: bool = False  # the installed llama.cpp can offload layers
    gpus: tuple[Gpu, ...] = ()
    unified_memory: bool = False  # GPU and CPU share the RAM (Apple silicon)
    free_disk: int | None = None  # where models are kept

    @property
    def free_vram(self) -> int:
        return sum(g.free_vram for g in self.gpus) if self.gpu_offload else 0


@dataclass(frozen=True)
class ModelShape:
    n_layers: int
    n_embd: int
    n_head: int
    n_head_kv: int
    n_ctx_train: int
    n_vocab: int
    file_size: int  # bytes of the weights file
    quant: str  # "Q4_K_M", "F16", …
    architecture: str = "llama"
    repacked_bytes: int | None = None  # exact from a GGUF's tensors; else from `quant`

    @property
    def n_embd_kv(self) -> int:
        return self.n_embd * self.n_head_kv // self.n_head


@dataclass(frozen=True)
class FitEstimate:
    """`ram_bytes` is the model process's peak resident memory (what bench/fit_accuracy
    measures); `needed_bytes`, smaller by the clean file pages the system can take back, is
    what must be free, and the one figure to show a user and decide `fits` with."""

    ram_bytes: int
    vram_bytes: int
    gpu_layers: int
    threads: int
    fits: bool
    recommended_quant: str | None
    reason: str = ""  # one sentence (French, then English) when it does not fit
    needed_bytes: int = 0


# -- this machine ---------------------------------------------------------------------------


def _cpu_features() -> dict[str, bool]:
    if sys.platform.startswith("linux"):
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return {}
        for line in cpuinfo.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):  # x86, ARM
                flags = set(value.split())
                if "asimd" in flags:
                    flags.add("neon")  # AArch64 calls NEON "asimd"
                if "fma" not in flags and "fma3" in flags:
                    flags.add("fma")
                return {name: name in flags for name in FEATURES}
        return {}
    if sys.platform == "darwin":
        keys = {
            "avx": "hw.optional.avx1_0",
            "avx2": "hw.optional.avx2_0",
            "avx512f": "hw.optional.avx512f",
            "fma": "hw.optional.fma",
            "f16c": "hw.optional.f16c",
            "neon": "hw.optional.neon",
        }
        found = {name: _sysctl(key) for name, key in keys.items()}
        return {name: value == "1" for name, value in found.items() if value is not None}
    if sys.platform == "win32":
        import ctypes

        # IsProcessorFeaturePresent's PF_* numbers (winnt.h); older Windows answer 0 for the
        # newer ones, so only a "yes" is taken as known.
        numbers = {"avx": 39, "avx2": 40, "avx512f": 41, "neon": 19}
        present = ctypes.windll.kernel32.IsProcessorFeaturePresent  # type: ignore[attr-defined]
        return {name: True for name, number in numbers.items() if present(number)}
    return {}


def _nvidia_gpus() -> tuple[Gpu, ...]:
    try:
        import pynvml  # from nvidia-ml-py, when installed
    except ImportError:
        return ()
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return ()  # no driver: no usable NVIDIA GPU
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            gpus.append(
                Gpu(
                    name.decode() if isinstance(name, bytes) else str(name),
                    int(memory.total),
                    int(memory.free),
                )
            )
        return tuple(gpus)
    except pynvml.NVMLError:
        return ()
    finally:
        pynvml.nvmlShutdown()


def _free_disk(folder: Path) -> int | None:
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return None


def probe(models_dir: Path | None = None) -> Machine:
    """This machine as a model sees it; `models_dir` is where free disk is measured."""
    import llama_cpp

    memory = psutil.virtual_memory()
    logical = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    physical = psutil.cpu_count(logical=False) or logical
    apple_silicon = sys.platform == "darwin" and platform.machine() == "arm64"
    performance = _sysctl("hw.perflevel0.physicalcpu") if apple_silicon else None
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    gpus = _nvidia_gpus()
    if apple_silicon:
        share = int(memory.total * UNIFIED_VRAM_SHARE)
        gpus = (Gpu("Apple GPU (unified memory)", share, min(share, memory.available)),)
    return Machine(
        total_ram=memory.total,
        available_ram=memory.available,
        physical_cores=physical,
        logical_cores=logical,
        performance_cores=int(performance) if performance and performance.isdigit() else None,
        cpu_features=_cpu_features(),
        gpu_offload=offload,
        gpus=gpus,
        unified_memory=apple_silicon,
        free_disk=_free_disk(models_dir or Path.home()),
    )


def recommended_threads(machine: Machine) -> int:
    """Physical cores (a second SMT thread per core slows llama.cpp down); P-cores on Apple."""
    if machine.performance_cores:
        return machine.performance_cores
    return max(1, min(machine.physical_cores, machine.logical_cores))


# -- a model's shape ------------------------------------------------------------------------


def shape_of(
    layers: int,
    hidden_size: int,
    heads: int,
    kv_heads: int | None,
    context_length: int,
    vocab_size: int,
    file_size: int,
    quant: str,
    architecture: str = "llama",
) -> ModelShape:
    """A catalog entry's plain numbers as a ModelShape (no kv_heads: as many as heads)."""
    return ModelShape(
        layers, hidden_size, heads, kv_heads or heads, context_length, vocab_size, file_size,
        quant.upper(), architecture,
    )  # fmt: skip


def shape_from_gguf(path: str | os.PathLike[str]) -> ModelShape:
    """The shape of a local GGUF, from its header (no weights read, no vocabulary built)."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFReader

    file = Path(path)
    header = read_header(file)
    architecture = str(header.metadata["general.architecture"])

    def number(key: str, default: int = 0) -> int:
        name = f"{architecture}.{key}"
        if name in header.array_lengths:  # one value per layer: the largest sizes the buffers
            return int(max(GGUFReader(file).fields[name].contents()))
        return int(header.metadata.get(name, default))

    weights: dict[str, int] = {}  # bytes per tensor type
    repacked = 0
    for tensor in header.tensors:
        kind = GGMLQuantizationType(tensor.type_id)
        block, size = GGML_QUANT_SIZES[kind]
        count = 1
        for dim in tensor.dims:
            count *= dim
        n_bytes = count // block * size
        weights[kind.name] = weights.get(kind.name, 0) + n_bytes
        if kind.name in REPACKED_TYPES and tensor.name != "token_embd.weight":  # read by rows
            repacked += n_bytes
    file_type = header.metadata.get("general.file_type")
    # No (or an unknown) file type: named after the type holding most bytes.
    quant = file_type_name(int(file_type) if file_type is not None else None) or (
        max(weights, key=weights.__getitem__) if weights else "unknown"
    )
    heads = number("attention.head_count", 1)
    return ModelShape(
        n_layers=number("block_count"),
        n_embd=number("embedding_length"),
        n_head=heads,
        n_head_kv=number("attention.head_count_kv", heads),
        n_ctx_train=number("context_length"),
        n_vocab=header.array_lengths.get("tokenizer.ggml.tokens", 0),
        file_size=file.stat().st_size,
        quant=quant,
        architecture=architecture,
        repacked_bytes=repacked,
    )


# -- the estimate ---------------------------------------------------------------------------


def kv_cache_bytes(shape: ModelShape, n_ctx: int, kv_type: str = "f16") -> int:
    """K and V for every layer and every position of the context."""
    return int(2 * shape.n_layers * n_ctx * shape.n_embd_kv * KV_BYTES[kv_type])


def compute_bytes(shape: ModelShape, n_ctx: int, n_batch: int = 512) -> int:
    """llama.cpp's compute buffer plus its work buffer, for a full context (no flash attention).

    The graph's largest moment is attention over a batch: the scores (n_ctx x batch x heads)
    and the mask as f32, beside a few batch x embedding vectors (checked against the
    "compute buffer size" llama.cpp logs); the scores are then converted to f16 for the
    product with V in the CPU's work buffer. The logits of a batch can be larger for
    big vocabularies.
    """
    batch = min(n_batch, n_ctx)
    attention = batch * 4 * (n_ctx * (shape.n_head + 1) + 5 * shape.n_embd + 2 * shape.n_embd_kv)
    logits = batch * 4 * (shape.n_vocab + 3 * shape.n_embd)
    work = batch * n_ctx * shape.n_head * 2
    return max(attention, logits) + work


def _bits(quant: str) -> float:
    from converters.quantize import BITS_PER_WEIGHT  # it imports llama_cpp, then numpy

    return BITS_PER_WEIGHT.get(quant, 32.0 if quant == "F32" else 16.0)


def parameter_count(shape: ModelShape) -> int:
    """A file's parameter count, from its size and type."""
    return int(shape.file_size * 8 / _bits(shape.quant))


def quantized_as(shape: ModelShape, parameters: int, quant: str) -> ModelShape:
    """The same model of `parameters` at another quantization: its size at that type."""
    size = int(parameters * _bits(quant) / 8)
    return replace(shape, file_size=size, quant=quant, repacked_bytes=None)


def _repacked(shape: ModelShape, machine: Machine) -> int:
    if not (machine.cpu_features.get("avx2") or machine.cpu_features.get("neon")):
        return 0
    if shape.repacked_bytes is not None:
        return shape.repacked_bytes
    return int(shape.file_size * REPACKED_SHARE.get(shape.quant, 0.0))


def _layer_bytes(shape: ModelShape) -> int:
    """One block's weights: the file less the embeddings and the output matrix."""
    outer = int(2 * shape.n_vocab * shape.n_embd * _bits(shape.quant) / 8)
    return max(0, shape.file_size - outer) // max(1, shape.n_layers)


def _offloadable_layers(shape: ModelShape, n_ctx: int, machine: Machine, kv_type: str) -> int:
    if not machine.gpu_offload or not machine.gpus:
        return 0
    # A partial offload runs on one GPU here; llama.cpp splits across several by free VRAM.
    room = machine.free_vram - VRAM_RESERVE - compute_bytes(shape, n_ctx)
    per_layer = _layer_bytes(shape) + kv_cache_bytes(shape, n_ctx, kv_type) // max(
        1, shape.n_layers
    )
    if room <= 0 or per_layer <= 0:
        return 0
    return min(shape.n_layers, room // per_layer)


def _needs(
    shape: ModelShape, n_ctx: int, machine: Machine, kv_type: str, layers: int, n_batch: int
) -> tuple[int, int, int]:
    """(peak RSS, RAM that must stay free for it, VRAM) in bytes with `layers` on the GPU.

    The mapped file pages of repacked weights are in the peak RSS but are never read again
    after the load: clean page cache the system takes back under pressure, so they do not
    count in what must be free.
    """
    on_gpu = layers / max(1, shape.n_layers)
    kv = kv_cache_bytes(shape, n_ctx, kv_type)
    compute = compute_bytes(shape, n_ctx, n_batch)
    vram = int(layers * _layer_bytes(shape) + kv * on_gpu) + (compute if layers else 0)
    cpu_share = 1 - on_gpu
    # The file stays mapped whole on unified memory; elsewhere offloaded blocks leave RAM.
    weights = (
        shape.file_size
        if machine.unified_memory
        else shape.file_size - int(layers * _layer_bytes(shape))
    )
    repacked = int(_repacked(shape, machine) * cpu_share)
    ram = PROCESS_OVERHEAD + weights + repacked + int(kv * cpu_share) + compute
    if machine.unified_memory:
        # Offloaded K/V and the GPU's compute buffer live in the same RAM.
        ram += vram - int(layers * _layer_bytes(shape))
    return ram, ram - repacked, vram


def _margin(ram: int, share: float, floor: int) -> int:
    return max(floor, int(ram * share))


def estimate(
    shape: ModelShape,
    n_ctx: int,
    machine: Machine,
    *,
    kv_type: str = "f16",
    gpu_layers: int | None = None,
    n_batch: int = 512,
    parameters: int | None = None,
) -> FitEstimate:
    """RAM and VRAM the model process needs at `n_ctx`, and whether this machine has them.

    `gpu_layers` None: as many as fit in free VRAM. `parameters` (the model's parameter
    count, if known) lets the estimate say which quantization fits best; without it, it is
    taken from the file's size and type.
    """
    offloadable = _offloadable_layers(shape, n_ctx, machine, kv_type)
    layers = offloadable if gpu_layers is None else max(0, min(gpu_layers, shape.n_layers))
    if not machine.gpu_offload:
        layers = 0
    ram, needed, vram = _needs(shape, n_ctx, machine, kv_type, layers, n_batch)
    fits = needed + _margin(needed, SAFETY_SHARE, SAFETY_MIN) <= machine.available_ram
    reason = ""
    if not fits:
        need, free = _gigabytes(needed), _gigabytes(machine.available_ram)
        reason = say(
            f"Ce modèle demande environ {need} Go de mémoire à {n_ctx} jetons de contexte et "
            f"{free} Go sont libres : fermez d'autres applications, réduisez le contexte ou "
            "choisissez une quantification plus petite.",
            f"This model needs about {need} GB of memory at a {n_ctx}-token context and {free} "
            "GB are free: close other applications, reduce the context or choose a smaller "
            "quantization.",
        )
    count = parameters or parameter_count(shape)
    return FitEstimate(
        ram_bytes=ram,
        vram_bytes=vram,
        gpu_layers=layers,
        threads=recommended_threads(machine),
        fits=fits,
        recommended_quant=recommend_quant(count, shape, machine, n_ctx, kv_type=kv_type),
        reason=reason,
        needed_bytes=needed,
    )


def _gigabytes(count: int) -> str:
    """Decimal gigabytes, as file sizes are shown, with the language's decimal mark."""
    text = f"{count / 1e9:.1f}"
    return say(text.replace(".", ","), text)


def recommend_quant(
    parameters: int, shape: ModelShape, machine: Machine, n_ctx: int, *, kv_type: str = "f16"
) -> str | None:
    """The best of QUANT_LADDER that runs comfortably here, each `quantized_as` from the
    parameter count (`shape`'s own size and type are ignored); None if even Q2_K does not."""
    for quant in QUANT_LADDER:
        candidate = quantized_as(shape, parameters, quant)
        layers = _offloadable_layers(candidate, n_ctx, machine, kv_type)
        _, needed, _ = _needs(candidate, n_ctx, machine, kv_type, layers, 512)
        if needed + _margin(needed, COMFORT_SHARE, COMFORT_MIN) <= machine.available_ram:
            return quant
    return None


def peak_rss(pid: int) -> int | None:
    """A process's peak resident memory in bytes (VmHWM on Linux, peak working set on
    Windows); None where the system does not keep it."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return None
    peak = getattr(psutil.Process(pid).memory_info(), "peak_wset", None)
    return int(peak) if peak is not None else None
