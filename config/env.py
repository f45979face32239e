"""Typed readers for settings that come from the environment.

Every reader fails with ImproperlyConfigured naming the variable, so a bad deployment stops at
start-up with a line that says what to fix instead of misbehaving later. Secrets may also come
from a file named by ``<NAME>_FILE`` (how Kubernetes mounts secrets).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final, TypeVar, overload

from django.core.exceptions import ImproperlyConfigured

_T = TypeVar("_T")


class _Missing:
    pass


MISSING: Final = _Missing()

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def _default_or_fail(name: str, default: _T | _Missing, hint: str) -> _T:
    if isinstance(default, _Missing):
        raise ImproperlyConfigured(f"Environment variable {name} is not set: {hint}")
    return default


def env_str(name: str, default: str | _Missing = MISSING, *, hint: str = "set it") -> str:
    """A plain string; required unless a default is given."""
    value = _raw(name)
    return value if value is not None else _default_or_fail(name, default, hint)


def env_bool(name: str, default: bool | _Missing = MISSING) -> bool:
    value = _raw(name)
    if value is None:
        return _default_or_fail(name, default, "set it to true or false")
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not a boolean: use one of "
        f"{', '.join(sorted(_TRUE | _FALSE))}"
    )


def env_int(name: str, default: int | _Missing = MISSING, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        result = _default_or_fail(name, default, "set it to a whole number")
    else:
        try:
            result = int(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} is not a whole number"
            ) from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={result} must be >= {minimum}")
    return result


def env_float(name: str, default: float | _Missing = MISSING, *, minimum: float = 0.0) -> float:
    value = _raw(name)
    if value is None:
        result = _default_or_fail(name, default, "set it to a number")
    else:
        try:
            result = float(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} is not a number"
            ) from None
    if result < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={result} must be >= {minimum}")
    return result


def env_list(name: str, default: list[str] | _Missing = MISSING) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    value = _raw(name)
    if value is None:
        return list(_default_or_fail(name, default, "set it to a comma-separated list"))
    return [item.strip() for item in value.split(",") if item.strip()]


@overload
def env_secret(name: str, *, hint: str = ...) -> str: ...
@overload
def env_secret(name: str, default: str, *, hint: str = ...) -> str: ...
@overload
def env_secret(name: str, default: None, *, hint: str = ...) -> str | None: ...
def env_secret(
    name: str, default: str | _Missing | None = MISSING, *, hint: str = ""
) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (not both)."""
    file_var = f"{name}_FILE"
    path = _raw(file_var)
    direct = _raw(name)
    if path is not None and direct is not None:
        raise ImproperlyConfigured(f"Set only one of {name} and {file_var}, not both")
    if path is not None:
        try:
            content = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{file_var}={path!r} cannot be read ({exc.strerror}); mount the secret there "
                f"or unset {file_var}"
            ) from None
        if not content:
            raise ImproperlyConfigured(f"{file_var}={path!r} is empty")
        return content
    if direct is not None:
        return direct
    return _default_or_fail(name, default, hint or f"set it, or {file_var} to a file holding it")
