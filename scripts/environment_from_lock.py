"""Write environment.yml from requirements.lock: the same exact versions for conda users (pip section, no hashes).

    python scripts/environment_from_lock.py requirements.lock pyproject.toml environment.yml
"""
import re
import sys
from pathlib import Path

HEADER = """# Conda environment for elmo_lib, written by `make lock` from requirements.lock (the exact versions `make setup`
# installs) and pyproject.toml's torch pin; tests/test_packaging.py checks that they agree.
name: elmo-lib
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
"""


def locked_pins(lock_text: str) -> list[str]:
    """Return the "name==version" lines of a pip-compile style lock, in its order."""
    return re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*==[^\s\\;]+)", lock_text, flags=re.MULTILINE)


def main(lock: str, pyproject: str, out: str) -> None:
    torch = re.search(r'"(torch==[^"]+)"', Path(pyproject).read_text()).group(1)
    pins = [torch, *locked_pins(Path(lock).read_text())]
    Path(out).write_text(HEADER + "".join(f"      - {pin}\n" for pin in pins) + "      - -e .\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
