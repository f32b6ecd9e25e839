"""Chat models as labeling functions: the client, its cache and the answer parser.

The LF kind itself is :func:`weaksup.lf.prompt_lf` (:mod:`weaksup.lf.prompt`).
"""

from weaksup.prompt.cache import PromptCache, cache_key, default_cache_path, normalise_base_url, without_user_info
from weaksup.prompt.client import ChatClient, Reply, estimate_tokens, replay_from_env
from weaksup.prompt.parse import PARSER_VERSION, Parsed, parse_answer

__all__ = ["ChatClient", "PARSER_VERSION", "Parsed", "PromptCache", "Reply", "cache_key", "default_cache_path",
           "estimate_tokens", "normalise_base_url", "parse_answer", "replay_from_env", "without_user_info"]
