"""The rows and mixing modes, one module each; importing this package imports (and so registers) every module in
it, so a new row or mode is a new module here and nothing else."""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
