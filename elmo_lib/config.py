"""Settings and profiles in one import (torch-free): the typed settings of elmo_lib.settings and the named
profiles of elmo_lib.profiles.

    from elmo_lib.config import get_profile
    profile = get_profile("cpu", {"classifier.hidden": 64})
"""
from elmo_lib.overrides import SettingError, apply_overrides, check_ablations, check_setting, parse_overrides
from elmo_lib.profiles import PROFILES, get_profile
from elmo_lib.settings import *  # noqa: F403  (every settings dataclass, and settings_hash)
from elmo_lib.settings import __all__ as _settings

__all__ = ["PROFILES", "SettingError", "apply_overrides", "check_ablations", "check_setting", "get_profile", "parse_overrides",
           *_settings]
