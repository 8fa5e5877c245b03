"""Local models: real GGUF files in the app's folder, added by the user, or in other apps'
folders (Hugging Face cache, LM Studio, GPT4All, Ollama) laid out as those apps lay them out."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from converters.messages import LANGUAGE_VARIABLE
from converters.synthetic import LlamaShape, write_random_llama
from vigogne_desktop.core import library
from vigogne_desktop.core.errors import ModelFileError
from vigogne_desktop.core.library import LocalModel, SkippedFile

OLLAMA_DIGEST = "sha256:" + "ab" * 32


def _tree(root: Path) -> dict[str, int]:
    """Every file under `root` and its size: what a listing must leave exactly as it was."""
    return {str(p.relative_to(root)): p.lstat().st_size for p in sorted(root.rglob("*"))}


def _place(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _truncated(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


@pytest.fixture(scope="module")
def q4_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Q4_K_M file, quantized by llama.cpp (rows of 256 so that K-quants apply)."""
    from converters.quantize import quantize

    folder = tmp_path_factory.mktemp("q4")
    shape = LlamaShape(n_vocab=512, n_embd=256, n_layer=1, n_head=4, n_head_kv=2, n_ff=512)
    source = write_random_llama(folder / "f32.gguf", shape, prompt_format=None, name="")
    target = folder / "vigogne-2-13b-instruct.Q4_K_M.gguf"
    quantize(source, target, "Q4_K_M")
    return target


def test_read_model_reports_the_metadata(tiny_gguf: Path, bare_gguf: Path, q4_gguf: Path) -> None:
    chat = library.read_model(tiny_gguf)
    assert chat == LocalModel(
        path=tiny_gguf,
        name="Vigogne synthétique",
        architecture="llama",
        quantization="F32",
        size_bytes=tiny_gguf.stat().st_size,
        context_length=2048,
        has_chat_template=True,
        catalog_id=None,
        source="imported",
    )
    bare = library.read_model(bare_gguf, source="models")
    # No general.name: the file's stem; the catalog entry comes from the file's name.
    assert (bare.name, bare.has_chat_template) == ("vigogne-7b-instruct.Q8_0", False)
    assert (bare.catalog_id, bare.source) == ("vigogne-7b-instruct", "models")
    quantized = library.read_model(q4_gguf)
    assert (quantized.quantization, quantized.catalog_id) == ("Q4_K_M", "vigogne-2-13b-instruct")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_file_that_cannot_be_used_is_one_sentence(
    tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv(LANGUAGE_VARIABLE, language)
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("pas un modèle")
    cases = {
        _truncated(tiny_gguf, tmp_path / "half.gguf"): ("endommagé", "damaged"),
        not_gguf: ("n'est pas un modèle GGUF", "is not a GGUF model"),
        tmp_path / "absent.gguf": ("n'existe pas", "does not exist"),
        tmp_path: ("n'est pas un fichier", "is not a file"),
    }
    for path, (french, english) in cases.items():
        with pytest.raises(ModelFileError) as error:
            library.read_model(path)
        sentence = str(error.value)
        assert (french if language == "fr" else english) in sentence
        assert "\n" not in sentence and "Traceback" not in sentence


def test_models_folder_and_added_files_are_listed_in_place(
    tiny_gguf: Path, bare_gguf: Path, tmp_path: Path
) -> None:
    models_dir = tmp_path / "models"
    ours = _place(tiny_gguf, models_dir / "tiny.gguf")
    elsewhere = _place(bare_gguf, tmp_path / "disk" / "vigogne-7b-instruct.Q8_0.gguf")
    folder = tmp_path / "collection"
    nested = _place(tiny_gguf, folder / "deep" / "er" / "chat.gguf")
    broken = _truncated(tiny_gguf, folder / "broken.gguf")
    gone = tmp_path / "unplugged" / "model.gguf"
    before = _tree(tmp_path)

    skipped: list[SkippedFile] = []
    # `nested` is added alone and inside `folder`: it is one model.
    models = library.local_models(models_dir, [elsewhere, folder, nested, gone], skipped)

    assert [(m.path, m.source) for m in models] == [
        (ours, "models"),
        (elsewhere, "imported"),
        (nested, "imported"),
    ]
    assert [s.path for s in skipped] == [gone, broken]
    assert "no longer exists" in skipped[0].reason or "n'existe plus" in skipped[0].reason
    assert _tree(tmp_path) == before  # nothing copied, moved or written


def test_added_entry_names_the_file_or_folder_that_lists_a_model(tmp_path: Path) -> None:
    folder = tmp_path / "collection"
    nested = folder / "deep" / "chat.gguf"
    alone = tmp_path / "disk" / "alone.gguf"
    link = tmp_path / "link-to-collection"
    folder.mkdir()
    link.symlink_to(folder, target_is_directory=True)
    imported = [str(alone), str(link)]

    assert library.added_entry(alone, imported) == str(alone)
    assert library.added_entry(link / "deep" / "chat.gguf", imported) == str(link)
    assert library.added_entry(nested, imported) == str(link)  # the same folder, resolved
    assert library.added_entry(tmp_path / "disk" / "other.gguf", imported) is None
    # A sibling whose name starts like the folder's is not inside it.
    assert library.added_entry(tmp_path / "link-to-collection-2" / "x.gguf", imported) is None


def test_import_models_checks_each_path(tiny_gguf: Path, tmp_path: Path) -> None:
    model = _place(tiny_gguf, tmp_path / "a" / "model.gguf")
    folder = model.parent
    _truncated(tiny_gguf, folder / "half.gguf")
    skipped: list[SkippedFile] = []

    models = library.import_models([model, folder, str(model)], skipped)

    assert [m.path for m in models] == [model]
    assert [s.path.name for s in skipped] == ["half.gguf"]
    with pytest.raises(ModelFileError):
        library.import_models([folder / "half.gguf"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="GGUF"):
        library.import_models([tmp_path / "empty"])


def _hf_cache(hub: Path, repo: str, filename: str, source: Path) -> Path:
    """A repo as huggingface_hub caches it: the blob once, a symlink per revision."""
    folder = hub / ("models--" + repo.replace("/", "--"))
    blob = _place(source, folder / "blobs" / ("0f" * 32))
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("a" * 40)
    for commit in ("a" * 40, "b" * 40):
        link = folder / "snapshots" / commit / filename
        link.parent.mkdir(parents=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
        (link.parent / "README.md").write_text("not a model")
    return folder / "snapshots" / ("a" * 40) / filename


def _ollama(root: Path, name: tuple[str, str, str, str], layers: list[dict[str, str]]) -> Path:
    manifest = root / "manifests" / Path(*name)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": layers}))
    return manifest


def test_discover_finds_other_apps_models_without_copying(
    tiny_gguf: Path, bare_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    home, hub = tmp_path / "home", tmp_path / "hf" / "hub"
    hf = _hf_cache(
        hub, "TheBloke/Vigogne-2-7B-Chat-GGUF", "vigogne-2-7b-chat.Q4_K_M.gguf", bare_gguf
    )
    lms = _place(tiny_gguf, home / ".lmstudio/models/TheBloke/Vigogne/vigogne-2-7b-instruct.gguf")
    old_lms = _place(tiny_gguf, home / ".cache/lm-studio/models/pub/model/old.gguf")
    _truncated(tiny_gguf, home / ".lmstudio/models/pub/broken/broken.gguf")
    gpt4all = [
        _place(tiny_gguf, home / ".local/share/nomic.ai/GPT4All/linux.gguf"),
        _place(tiny_gguf, home / "Library/Application Support/nomic.ai/GPT4All/mac.gguf"),
        _place(tiny_gguf, home / "AppData/Local/nomic.ai/GPT4All/windows.gguf"),
    ]
    (home / ".local/share/nomic.ai/GPT4All/chat.chat").write_text("a GPT4All chat, not a model")
    ollama = home / ".ollama" / "models"
    blob = _place(tiny_gguf, ollama / "blobs" / OLLAMA_DIGEST.replace(":", "-"))
    model_layer = {"mediaType": "application/vnd.ollama.image.model", "digest": OLLAMA_DIGEST}
    template = {
        "mediaType": "application/vnd.ollama.image.template",
        "digest": "sha256:" + "cd" * 32,
    }
    _ollama(ollama, ("registry.ollama.ai", "library", "vigogne", "7b"), [template, model_layer])
    _ollama(ollama, ("registry.ollama.ai", "library", "missing", "latest"), [template])
    bad = ollama / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    before = _tree(tmp_path)

    skipped: list[SkippedFile] = []
    found = library.discover(home=home, hf_cache=hub, skipped=skipped)

    listed = {(m.source, m.path): m for m in found}
    expected = [("hf-cache", hf), ("lm-studio", lms), ("lm-studio", old_lms)]
    expected += [("gpt4all", p) for p in gpt4all] + [("ollama", blob)]
    assert set(listed) == set(expected)
    assert {m.source for m in found} <= set(library.SOURCES)
    assert len(found) == len(expected)  # the blob shared by two HF revisions is one model
    from_hub = listed[("hf-cache", hf)]
    assert (from_hub.catalog_id, from_hub.quantization) == ("vigogne-2-7b-chat", "F32")
    assert listed[("lm-studio", lms)].catalog_id == "vigogne-2-7b-instruct"
    assert listed[("ollama", blob)].name == "vigogne:7b"  # the name `ollama list` shows
    assert sorted(s.path.name for s in skipped) == ["broken.gguf", "latest"]
    assert _tree(tmp_path) == before


def test_ollama_models_folder_follows_ollama_models_variable(
    tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "big-disk" / "ollama"
    blob = _place(tiny_gguf, elsewhere / "blobs" / OLLAMA_DIGEST.replace(":", "-"))
    layer = {"mediaType": "application/vnd.ollama.image.model", "digest": OLLAMA_DIGEST}
    _ollama(elsewhere, ("hf.co", "someone", "vigogne-gguf", "Q4_K_M"), [layer])
    monkeypatch.setenv("OLLAMA_MODELS", str(elsewhere))

    found = library.discover(home=tmp_path / "empty-home", hf_cache=tmp_path / "no-cache")

    assert [(m.path, m.name) for m in found] == [(blob, "hf.co/someone/vigogne-gguf:Q4_K_M")]
