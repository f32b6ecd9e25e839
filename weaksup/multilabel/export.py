"""Python source of multi-label LFs, so :meth:`MultiLabelWorkbench.export` (:func:`weaksup.lf.export.export_module`)
writes them into a module that rebuilds them with the same votes and versions.

Keyword and regex LFs are written as calls of their factories (parameters that differ from the defaults); a
wrapped classification LF as ``multilabel_lf(<the LF's own call>, ...)``; a generic LF as its decorated ``def``
with the imports, constants and helpers it reads (as :func:`~weaksup.lf.labeling_function` LFs are).
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, Any

from weaksup.errors import LFDefinitionError
from weaksup.lf.source import Code, LFSource, function_lf_source, identifier

if TYPE_CHECKING:
    from weaksup.multilabel.lfs import MultiLabelLF

__all__ = ["multilabel_lf_source"]

_FACTORY_MODULE = "weaksup.multilabel.lfs"


def _written(factory: Any, args: list[str], options: dict[str, Any]) -> str:
    """``factory(args..., option=value...)`` leaving out options equal to the factory's defaults."""
    defaults = {p.name: p.default for p in inspect.signature(factory).parameters.values()
                if p.default is not inspect.Parameter.empty}
    kept = [f"{k}={v.code if isinstance(v, Code) else repr(v)}" for k, v in options.items()
            if isinstance(v, Code) or k not in defaults or defaults[k] != v]
    return f"{factory.__name__}({', '.join(args + kept)})"


def multilabel_lf_source(lf: MultiLabelLF) -> LFSource:
    """The source that rebuilds ``lf`` at module level (same votes, same version).

    Examples
    --------
    >>> from weaksup.multilabel.lfs import multilabel_keyword_lf
    >>> lf = multilabel_keyword_lf("kw_thanks", ["thanks"], "gratitude", no=["anger"], tags=["lexicon"])
    >>> print(multilabel_lf_source(lf).code, end="")
    kw_thanks = multilabel_keyword_lf('kw_thanks', ['thanks'], ['gratitude'], no=['anger'], tags=['lexicon'])
    """
    from weaksup.multilabel import lfs as kinds

    where = f"LF {lf.name!r} (defined at {lf.source})"
    if isinstance(lf, kinds.FunctionMultiLabelLF):
        source = function_lf_source(lf.inner, None)  # type: ignore[arg-type]
        if not source.code.lstrip().startswith("@"):
            raise LFDefinitionError(f"{where}: write it as a def decorated with @multilabel_labeling_function(...) "
                                    "so that export can copy it")
        return source
    inner = lf.inner
    label = list(lf.yes or lf.no)
    no: bool | list[str] = True if not lf.yes else list(lf.no) or False
    meta: dict[str, Any] = {"tags": list(inner.tags)} if inner.tags else {}
    if inner.description and inner.description != inner.default_description():
        meta["description"] = inner.description
    version = {"version": lf.version} if lf.explicit_version else {}
    imports: tuple[str, ...] = ()
    if lf.kind == "multilabel_keyword":
        call = _written(kinds.multilabel_keyword_lf, [repr(lf.name), repr(list(inner.keywords)), repr(label)],  # type: ignore[attr-defined]
                        {"no": no, "field": inner.field, "mode": inner.mode,  # type: ignore[attr-defined]
                         "case_sensitive": inner.case_sensitive, "word_boundary": inner.word_boundary,  # type: ignore[attr-defined]
                         **meta, **version})
    elif lf.kind == "multilabel_regex":
        flags = [f"re.{name}" for name, bit in re.RegexFlag.__members__.items()
                 if name in ("IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII") and inner.flags & bit]  # type: ignore[attr-defined]
        imports = ("import re",) if flags else ()
        call = _written(kinds.multilabel_regex_lf, [repr(lf.name), repr(inner.pattern), repr(label)],  # type: ignore[attr-defined]
                        {"no": no, "field": inner.field, **({"flags": Code(" | ".join(flags))} if flags else {}),  # type: ignore[attr-defined]
                         **meta, **version})
    else:  # a wrapped classification LF: its own call, inline (it must not stand at module level on its own)
        own = inner.to_source()
        prefix = f"{own.var} = "
        if not own.code.startswith(prefix) or own.code.count("\n") > 1 or own.definitions or own.helpers:
            raise LFDefinitionError(f"{where} wraps LF {inner.name!r}, whose source is more than one call; "
                                    "write the multilabel_lf(...) call into the module by hand")
        name = {"name": lf.name} if lf.name != inner.name else {}
        call = _written(kinds.multilabel_lf, [own.code[len(prefix):].strip(), repr(label)],
                        {"no": no, **name, **version})
        return LFSource(identifier(lf.name), f"{identifier(lf.name)} = {call}\n",
                        imports=(f"from {_FACTORY_MODULE} import multilabel_lf", *own.imports),
                        artefacts=own.artefacts)
    factory = call.split("(", 1)[0]
    return LFSource(identifier(lf.name), f"{identifier(lf.name)} = {call}\n",
                    imports=(f"from {_FACTORY_MODULE} import {factory}", *imports))
