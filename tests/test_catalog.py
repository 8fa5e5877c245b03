"""The Vigogne catalog against the seed's table: every model, ids, licences, shapes, GGUFs."""

from __future__ import annotations

import json
import re

import gguf
import pytest

from converters import catalog

# The seed's table (shared/seed/models.md), in its order: the recommended model, then the
# legacy ones. Written out here because CI runs without the shared folder beside the clone.
SEED = [
    ("bofenghuang/vigogne-2-7b-chat", "main"),
    ("bofenghuang/vigogne-2-7b-chat", "v1.0"),
    ("bofenghuang/vigogne-7b-chat", "main"),
    ("bofenghuang/vigogne-13b-chat", "main"),
    ("bofenghuang/vigogne-falcon-7b-chat", "main"),
    ("bofenghuang/vigogne-2-7b-instruct", "main"),
    ("bofenghuang/vigogne-2-13b-instruct", "main"),
    ("bofenghuang/vigogne-7b-instruct", "main"),
    ("bofenghuang/vigogne-13b-instruct", "main"),
    ("bofenghuang/vigogne-33b-instruct", "main"),
    ("bofenghuang/vigogne-falcon-7b-instruct", "main"),
    ("bofenghuang/vigogne-mpt-7b-instruct", "main"),
    ("bofenghuang/vigogne-bloom-7b1-instruct", "main"),
]
# "Research use only" in the table's Description column.
RESEARCH_ONLY = {
    "bofenghuang/vigogne-7b-chat",
    "bofenghuang/vigogne-13b-chat",
    "bofenghuang/vigogne-7b-instruct",
    "bofenghuang/vigogne-13b-instruct",
    "bofenghuang/vigogne-33b-instruct",
}
# The community GGUF repositories checked on the Hub, and the entry each converts.
GGUF_REPOS = {
    "TheBloke/Vigogne-2-7B-Chat-GGUF": "vigogne-2-7b-chat",
    "TheBloke/Vigogne-2-7B-Instruct-GGUF": "vigogne-2-7b-instruct",
    "TheBloke/Vigogne-2-13B-Instruct-GGUF": "vigogne-2-13b-instruct",
}
# Bigger quantizations make bigger files: a misplaced size shows up against this order.
QUANT_ORDER = ["Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]


def test_every_seed_model_once_recommended_first() -> None:
    entries = catalog.entries()
    assert [(e.repo, e.revision) for e in entries] == SEED
    assert entries[0].name == "Vigogne-2-7B-Chat-V2.0"
    assert [e.status for e in entries] == ["recommended"] + ["legacy"] * (len(SEED) - 1)
    assert entries[1].name == "Vigogne-2-7B-Chat-V1.0"


def test_ids_are_unique_command_line_names() -> None:
    ids = [e.id for e in catalog.entries()]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.-]*", i) for i in ids)
    assert catalog.by_id("vigogne-2-7b-chat") is catalog.entries()[0]
    v1 = catalog.by_id("vigogne-2-7b-chat-v1.0")
    assert v1 is not None and v1.revision == "v1.0"
    assert catalog.by_id("vigogne-3-70b") is None


def test_research_only_licences_match_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in catalog.entries():
        assert entry.research_only == (entry.repo in RESEARCH_ONLY), entry.id
        monkeypatch.setenv("VIGOGNE_LANGUAGE", "fr")
        french = entry.licence_note
        monkeypatch.setenv("VIGOGNE_LANGUAGE", "en")
        english = entry.licence_note
        assert french != english and "\n" not in french + english
        if entry.research_only:
            assert "recherche" in french and "research" in english.lower()


def test_shapes_account_for_the_parameter_count() -> None:
    """Attention (with its K/V heads), a 4x MLP and the embeddings: within 15 % of the table."""
    for e in catalog.entries():
        assert e.hidden_size % e.heads == 0 and e.heads % e.kv_heads == 0, e.id
        kv_width = e.hidden_size // e.heads * e.kv_heads
        block = 2 * e.hidden_size**2 + 2 * e.hidden_size * kv_width + 8 * e.hidden_size**2
        estimate = e.layers * block + 2 * e.vocab_size * e.hidden_size
        assert estimate == pytest.approx(e.parameters_b * 1e9, rel=0.15), e.id
        assert e.context_length in (2048, 4096), e.id


def test_ready_ggufs_are_the_checked_repositories() -> None:
    with_ggufs = {r.repo: e.id for e in catalog.entries() for r in e.ggufs}
    assert with_ggufs == GGUF_REPOS
    for entry in catalog.entries():
        for repo in entry.ggufs:
            names = [f.filename for f in repo.files]
            assert len(set(names)) == len(names) and repo.revision
            sizes = {f.quant: f.size_bytes for f in repo.files}
            known = [sizes[q] for q in QUANT_ORDER if q in sizes]
            assert known == sorted(known), repo.repo
            for file in repo.files:
                assert f"MOSTLY_{file.quant}" in gguf.LlamaFileType.__members__
                assert file.filename.endswith(f".{file.quant}.gguf")
                assert re.fullmatch(r"[0-9a-f]{64}", file.sha256)
                # Nominal bits per weight: a 7B Q4_K_M is about 4 GB, not 4 MB or 40 GB.
                bits = file.size_bytes * 8 / (entry.parameters_b * 1e9)
                assert 2.5 < bits < 9, (file.filename, bits)
                # A downloaded file is recognised as the model it converts.
                found = catalog.match(file.filename)
                assert found is not None and found.id == entry.id


def test_entries_without_gguf_offer_conversion_of_a_supported_architecture() -> None:
    from converters.archs import REGISTRY

    for entry in catalog.entries():
        assert entry.ggufs or entry.architecture in REGISTRY, entry.id


def test_entry_json_is_plain_data() -> None:
    document = json.loads(json.dumps([catalog.entry_json(e) for e in catalog.entries()]))
    first = document[0]
    assert first["id"] == "vigogne-2-7b-chat" and first["licence_note"]
    assert first["ggufs"][0]["files"][0].keys() == {"quant", "filename", "size_bytes", "sha256"}
