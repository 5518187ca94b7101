"""Settings given as KEY=VALUE (the CLI's --set, papermill's overrides): parsed, checked against the rules each field
declares beside itself (elmo_lib.settings), and applied to a profile."""
from __future__ import annotations

import ast
import dataclasses
import math
import types
import typing
from typing import Any, Sequence

from elmo_lib.plugins import plugin_section
from elmo_lib.settings import Profile


class SettingError(KeyError):
    """An override that names no setting, or gives one a value of the wrong type or range."""


def _conforms(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin is tuple:
        return isinstance(value, tuple) and all(_conforms(item, args[0]) for item in value)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def check_setting(key: str, value: Any, hint: Any, rules: dict | None = None) -> Any:
    """Return `value` as the setting `key` stores it, or raise SettingError naming the setting, value and rule broken
    (`rules`: the field's metadata, see the module docstring)."""
    rules = rules or {}
    if isinstance(value, list):
        value = tuple(value)
    if not _conforms(value, hint):
        name = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
        raise SettingError(f"setting {key}={value!r}: expected {name}")
    if hint is float and isinstance(value, int):
        value = float(value)
    items = value if isinstance(value, tuple) else (value,)
    if isinstance(value, tuple) and not value and "non_empty" in rules:
        raise SettingError(f"setting {key}=(): give at least one value, e.g. {key}={rules['non_empty']}")
    if isinstance(value, tuple) and rules.get("increasing") and list(value) != sorted(set(value)):
        raise SettingError(f"setting {key}={value!r}: must be strictly increasing, e.g. {tuple(sorted(set(value)))}")
    choices = rules.get("choices")
    choices = choices() if callable(choices) else choices
    if choices is not None and any(item not in choices for item in items):
        raise SettingError(f"setting {key}={value!r}: choose one of {choices}")
    low, high = rules.get("bounds", (None, None))
    for item in items:
        if not isinstance(item, (int, float)) or isinstance(item, bool):
            continue
        if isinstance(item, float) and not math.isfinite(item):
            raise SettingError(f"setting {key}={value!r}: must be a finite number")
        if rules.get("positive") and item <= 0:
            raise SettingError(f"setting {key}={value!r}: must be > 0")
        if (low is not None and item < low) or (high is not None and item > high):
            raise SettingError(f"setting {key}={value!r}: must lie in [{low}, {high if high is not None else '∞'}]")
    return value


def _fields(cls: type) -> dict[str, tuple[Any, dict]]:
    """Return {name: (type hint, rules)} of a settings dataclass."""
    hints = typing.get_type_hints(cls)
    return {f.name: (hints[f.name], dict(f.metadata)) for f in dataclasses.fields(cls)}


def apply_overrides(profile: Profile, overrides: dict[str, Any] | None) -> Profile:
    """Return `profile` with dotted overrides applied and checked, e.g. {"classifier.seed": 1}."""
    for key, value in (overrides or {}).items():
        section, dot, attr = key.partition(".")
        top = _fields(Profile)
        if not dot and key in top and key != "name" and not dataclasses.is_dataclass(getattr(profile, key)):
            hint, rules = top[key]
            profile = dataclasses.replace(profile, **{key: check_setting(key, value, hint, rules)})
            continue
        part = getattr(profile, section, None)
        if dot and not dataclasses.is_dataclass(part) and plugin_section(section) is not None:
            profile = _set_plugin_setting(profile, key, section, attr, value)
            continue
        if part is None or not dataclasses.is_dataclass(part) or attr not in _fields(type(part)):
            raise SettingError(f"unknown setting {key!r}")
        hint, rules = _fields(type(part))[attr]
        value = check_setting(key, value, hint, rules)
        profile = dataclasses.replace(profile, **{section: dataclasses.replace(part, **{attr: value})})
    return profile


def _set_plugin_setting(profile: Profile, key: str, name: str, attr: str, value: Any) -> Profile:
    """Return `profile` with field `attr` of plug-in `name`'s settings set to `value` (checked by its rules)."""
    cls = plugin_section(name)
    current = dict(profile.plugin_settings).get(name) or cls()
    if attr not in _fields(cls):
        raise SettingError(f"unknown setting {key!r}; {name}'s settings are {sorted(_fields(cls))}")
    hint, rules = _fields(cls)[attr]
    changed = dataclasses.replace(current, **{attr: check_setting(key, value, hint, rules)})
    pairs = {**dict(profile.plugin_settings), name: changed}
    return dataclasses.replace(profile, plugin_settings=tuple(sorted(pairs.items())))


def check_ablations(profile: Profile) -> Profile:
    """Return `profile` when each of its ablations changes what it names there; else raise SettingError saying
    why one changes nothing (an ablation that only shifts a random stream would be reported as an effect)."""
    for ablation in profile.ablations:
        overrides = parse_overrides([ablation])
        if apply_overrides(profile, overrides) == profile:
            raise SettingError(f"ablation {ablation!r} at profile {profile.name} sets what the profile already has, "
                               f"so it changes nothing; drop it from ablations")
        if "bilm.unk_dropout" in overrides and profile.vocab.min_freq >= 2:
            raise SettingError(f"ablation {ablation!r} changes nothing at profile {profile.name}: at "
                               f"vocab.min_freq={profile.vocab.min_freq} no vocabulary word is seen once in training, "
                               f"so the <unk> dropout never drops a token; drop it from ablations, or set "
                               f"vocab.min_freq=1 where it has words to drop")
    return profile


def parse_overrides(pairs: Sequence[str]) -> dict:
    """Return {"section.field": value} from KEY=VALUE strings (values parsed as Python literals, else text)."""
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SettingError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            overrides[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            overrides[key.strip()] = value.strip()
    return overrides
