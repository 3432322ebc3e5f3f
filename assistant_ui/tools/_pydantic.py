"""pydantic models as tool parameters, when pydantic is installed (it is not a dependency).

Nothing here imports pydantic: a hint is a model only if ``pydantic`` is already in
``sys.modules`` (a program that defines a model has imported it). A model parameter gets
the model's own JSON Schema (``model_json_schema()``: titles, descriptions, constraints),
its ``$defs`` moved to the root of the tool's ``parameters``, and its arguments are
validated into a model instance by ``model_validate``; a validation error names the field.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ConversionError", "is_model", "model_converter", "model_schema"]


class ConversionError(ValueError):
    """Arguments that passed the schema check but that a converter refused; ``problems``
    are ``(path, message)`` pairs, the path (``"a.b[0]"``, or ``""``) relative to the
    converted value."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.problems = problems


def is_model(hint: Any) -> bool:
    """Whether ``hint`` is a pydantic ``BaseModel`` subclass (False when pydantic was never
    imported)."""
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None) if pydantic is not None else None
    return isinstance(hint, type) and isinstance(base, type) and issubclass(hint, base)


def model_schema(cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's JSON Schema (validation mode) without its ``$defs``, and the ``$defs``."""
    schema: dict[str, Any] = dict(cls.model_json_schema())  # type: ignore[attr-defined]
    defs = schema.pop("$defs", None)
    return schema, dict(defs) if isinstance(defs, dict) else {}


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else str(part)
    return text


def model_converter(cls: type) -> Any:
    """A converter: JSON -> ``cls.model_validate(json)``, raising :class:`ConversionError`
    with a ``(field, message)`` pair per pydantic error."""
    validate_model = cls.model_validate  # type: ignore[attr-defined]

    def convert(value: Any) -> Any:
        pydantic = sys.modules["pydantic"]
        try:
            return validate_model(value)
        except pydantic.ValidationError as exc:
            problems = [
                (_path(tuple(error.get("loc", ()))), str(error.get("msg", "invalid")))
                for error in exc.errors(include_url=False)
            ]
            raise ConversionError(problems) from None

    return convert
