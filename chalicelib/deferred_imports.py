"""pyHanko's aiohttp clients, imported only when one is used.

pyHanko 0.38 imports its aiohttp time-stamp client (`pyhanko.sign.timestamps`) and its aiohttp fetchers
(`pyhanko.sign.validation.ades`) at module level, so the first signature in a process paid for importing aiohttp
(about 200 ms) though the service never uses either: it time-stamps through requests when a TSA is set
(`signing.sign_document`) and validates with fetching off. `install()` puts a stand-in for those two modules on
the import path, whose names load the real module on first use (then it is in `sys.modules` as usual), so nothing
on a request path imports aiohttp unless a request really fetches over it (docs/ARCHITECTURE.md, deployment).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

# module -> the names other pyHanko modules import from it (classes pyHanko instantiates); in the order they are
# loaded on first use (all at once: the time-stamp client imports the fetchers' package)
DEFERRED = {
    "pyhanko_certvalidator.fetchers.aiohttp_fetchers": ("AIOHttpFetcherBackend",),
    "pyhanko.sign.timestamps.aiohttp_client": ("HTTPTimeStamper", "AIOHttpTimeStamper"),
}
_lock = threading.RLock()  # the real module's own imports come back through the finder


def _real(fullname: str) -> ModuleType:
    """The real module, imported now (with the other deferred ones, once) in place of its stand-in."""
    with _lock:
        for name in DEFERRED:
            _load(name)
        return sys.modules[fullname]


def _load(fullname: str) -> ModuleType:
    with _lock:
        module = sys.modules.get(fullname)
        if module is not None and not getattr(module, "__deferred__", False):
            return module
        spec = _real_spec(fullname)
        if spec is None or spec.loader is None:
            raise ImportError(f"{fullname} is not installed", name=fullname)
        module = importlib.util.module_from_spec(spec)
        sys.modules[fullname] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[fullname]
            raise
        parent, _, child = fullname.rpartition(".")
        setattr(sys.modules[parent], child, module)
        return module


def _real_spec(fullname: str) -> importlib.machinery.ModuleSpec | None:
    parent = importlib.import_module(fullname.rpartition(".")[0])
    return importlib.machinery.PathFinder.find_spec(fullname, parent.__path__)


def _forwarder(fullname: str, name: str) -> Any:
    def create(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(fullname), name)(*args, **kwargs)

    create.__name__ = create.__qualname__ = name
    create.__doc__ = f"{fullname}.{name}, imported on first use (chalicelib.deferred_imports)."
    return create


def _other_names(fullname: str) -> Any:
    def lookup(name: str) -> Any:
        if name.startswith("__"):  # the import system probing the stand-in (__file__, __path__, ...)
            raise AttributeError(name)
        return getattr(_real(fullname), name)

    return lookup


class _StandIn(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = ModuleType(spec.name)
        module.__deferred__ = True  # type: ignore[attr-defined]
        real = _real_spec(spec.name)
        if real is not None and real.submodule_search_locations is not None:
            module.__path__ = list(real.submodule_search_locations)  # a package: its submodules can be found
        for name in DEFERRED[spec.name]:
            setattr(module, name, _forwarder(spec.name, name))
        setattr(module, "__getattr__", _other_names(spec.name))  # noqa: B010 - a module's PEP 562 hook
        return module

    def exec_module(self, module: ModuleType) -> None:
        pass


class _Loaded(importlib.abc.Loader):
    """A submodule the real package imported while the import system was already looking for it."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return sys.modules[spec.name]

    def exec_module(self, module: ModuleType) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname in DEFERRED:
            return importlib.util.spec_from_loader(fullname, _StandIn())
        if any(fullname.startswith(name + ".") for name in DEFERRED):
            package = fullname.rpartition(".")[0]
            if getattr(sys.modules.get(package), "__deferred__", False):
                _real(package)  # a submodule imported first: the real package, then the submodule as it loaded it
                if fullname in sys.modules:
                    return importlib.util.spec_from_loader(fullname, _Loaded())
        return None


_FINDER = _Finder()


def install() -> None:
    """Idempotent; effective for the modules not imported yet."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
