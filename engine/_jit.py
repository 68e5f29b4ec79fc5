"""``njit`` for the engine's kernels, with numba's disk cache keyed by every kernel source.

Numba keeps a compiled kernel beside its module and trusts it while *that file* is
unchanged. A kernel also carries the code of the kernels it calls and the constants it
reads, compiled in: after an upgrade that changed only a callee, a cached caller would run
the old code, and would crash when its callee's bundles changed shape (seen: the book's
kernel calling a newer ``run_path_cash``). Here every engine kernel's cache entry is
stamped with one digest of all the sources the kernels are built from (each module that
compiles a kernel, and every engine module those import, transitively): a change to any of
them makes every engine kernel compile afresh, once. Other packages' numba caches are not
touched.

Kernel modules import ``njit`` (and ``prange``) from here, not from numba.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import llvmlite.binding as binding
from numba import njit, prange
from numba.core import caching, codegen, inline_closurecall, ir

__all__ = ["njit", "prange", "kernel_sources", "kernel_stamp", "python"]

PACKAGE = Path(__file__).resolve().parent


def _module_file(name: str) -> Path | None:
    """The source of engine module ``name`` (``engine.a.b``), or None."""
    parts = name.split(".")
    if parts[0] != "engine":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


_FROM_IMPORT = re.compile(r"^from\s+(engine[\w.]*)\s+import\s+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(r"^import\s+(engine[\w.]*)", re.M)


def _engine_imports(path: Path) -> set[Path]:
    """The engine modules ``path`` imports at module level (``from engine.x import y``
    names the module ``engine.x.y`` when there is one, else ``engine.x``). Read with two
    patterns rather than parsed: this runs when the first kernel loads."""
    text = path.read_text(encoding="utf-8")
    hits = [_module_file(m) for m in _IMPORT.findall(text)]
    for module, names in _FROM_IMPORT.findall(text):
        for name in names.strip("()").split(","):
            name = name.split("#")[0].split(" as ")[0].strip()
            if name:
                hits.append(_module_file(f"{module}.{name}") or _module_file(module))
    return {h for h in hits if h is not None}


@lru_cache(maxsize=None)
def kernel_sources() -> tuple[Path, ...]:
    """Every module that compiles a kernel, and the engine modules they import."""
    todo = [p for p in PACKAGE.rglob("*.py") if "cache=True" in p.read_text(encoding="utf-8")]
    seen = set(todo)
    while todo:
        for dep in _engine_imports(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return tuple(sorted(seen))


@lru_cache(maxsize=None)
def kernel_stamp() -> bytes:
    """One digest of :func:`kernel_sources` (their paths in the package and contents)."""
    digest = hashlib.sha256()
    for path in kernel_sources():
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.digest()


def python(kernel):
    """The Python function behind a kernel, for work done once per run from Python (the
    work arrays of a thread, a row's layout): numba would compile it on a first run (about
    6 s for the four of them) to save microseconds."""
    return getattr(kernel, "py_func", kernel)


def _in_engine(py_file) -> bool:
    try:
        Path(py_file).resolve().relative_to(PACKAGE)
    except (ValueError, OSError):
        return False
    return True


class _KernelStamped:
    """A numba cache locator for engine modules whose entries carry :func:`kernel_stamp`
    instead of their own file's."""

    def get_source_stamp(self):
        return kernel_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _in_engine(py_file):
            return None
        return super().from_function(py_func, py_file)


#: The kernels compiled when the package was installed (``engine.prebuilt``): read before
#: numba's own cache while :data:`PREBUILT_MARK` matches :func:`prebuilt_fingerprint`.
PREBUILT = PACKAGE / "_compiled"
PREBUILT_MARK = PREBUILT / "BUILT.json"
#: ``IPABS_PREBUILT=off``: neither build nor read them (``=building``: the build itself).
PREBUILT_SWITCH = "IPABS_PREBUILT"


def prebuilt_fingerprint() -> dict:
    """What compiled kernels depend on besides the CPU (numba's own index key): the kernel
    sources, numba and NumPy."""
    import numba
    import numpy

    return {"kernel_stamp": kernel_stamp().hex(), "numba": numba.__version__,
            "numpy": numpy.__version__}


def prebuilt_switch() -> str:
    """``IPABS_PREBUILT`` as ``"off"``, ``"building"`` or ``""`` (the default: on)."""
    switch = os.environ.get(PREBUILT_SWITCH, "").strip().lower()
    return "off" if switch in ("off", "0", "no", "false") else switch


@lru_cache(maxsize=None)
def prebuilt_in_use() -> bool:
    """Are the install's compiled kernels read (and extra ones kept beside them)?"""
    switch = prebuilt_switch()
    if switch in ("building", "off"):
        return switch == "building"
    return prebuilt_current(PREBUILT_MARK)


def prebuilt_current(mark: Path) -> bool:
    """Does the build record ``mark`` match :func:`prebuilt_fingerprint`?"""
    try:
        return json.loads(mark.read_text(encoding="utf-8")) == prebuilt_fingerprint()
    except (OSError, ValueError):
        return False


class _PrebuiltLocator(_KernelStamped, caching.InTreeCacheLocator):
    """:data:`PREBUILT`, mirroring the package's folders, while :func:`prebuilt_in_use`."""

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        folder = Path(py_file).resolve().parent.relative_to(PACKAGE)
        self._cache_path = str(PREBUILT / folder)

    @classmethod
    def from_function(cls, py_func, py_file):
        if not prebuilt_in_use():
            return None
        return super().from_function(py_func, py_file)


class _UserDirLocator(_KernelStamped, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR``, when set."""


class _InTreeLocator(_KernelStamped, caching.InTreeCacheLocator):
    """The module's ``__pycache__``."""


class _OneScopeCopy:
    """Stands in for the ``copy`` module in numba's IR inliner, whose one use of it is
    ``copy.deepcopy(block)`` for each block of a callee it inlines (``inline_ir``'s
    ``copy_ir``). Each of those calls copied the function's whole variable scope again (every
    block refers to it), so inlining cost blocks x variables: a third of a first run's
    compiling. Here the blocks of one copy share one memo, as one ``deepcopy`` of the whole
    function would: one copy of the scope, shared by the copied blocks as the original
    blocks share theirs. A new copy starts when a block of another scope comes, or a block
    already copied comes again (the same callee inlined at its next call site)."""

    def __init__(self):
        self._scope = None
        self._memo: dict = {}

    def deepcopy(self, x, memo=None):
        if memo is None and isinstance(x, ir.Block):
            if x.scope is not self._scope or id(x) in self._memo:
                self._scope, self._memo = x.scope, {}
            memo = self._memo
        return copy.deepcopy(x, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


#: Kernels whose code is built into the named callers' own code when the caller is linked
#: (LLVM's ``alwaysinline``), as ``{caller: (callee, ...)}``. A call between kernels passes
#: every array of every bundle as separate arguments (seven machine words a vector): a
#: path's waterfall takes about a thousand, stored and read back once per path. Inlining
#: numba's IR instead types the callee again in its caller (a first run 16 s longer);
#: here LLVM inlines the callee already compiled, and emits it once, inside the caller.
INLINE_INTO = {
    "cash_paths": ("run_path_cash",),
    "book_deal_paths": ("run_path_cash",),
    "run_path_cash": ("scheduled_collections", "pay_walk"),
    "_commitment_need": ("pay_walk",),
}


def _mangled_kernel(fn_name: str, kernel: str) -> bool:
    """Is ``fn_name`` the compiled body of engine kernel ``kernel`` (not its Python
    wrapper)?"""
    return fn_name.startswith("_ZN6engine") and f"{len(kernel)}{kernel}B" in fn_name


def _inlining(optimize_final_module):
    """numba's ``_optimize_final_module`` of a code library, first marking the linked
    callees :data:`INLINE_INTO` names for the library's kernel ``alwaysinline``."""

    def optimize(self):
        callees = INLINE_INTO.get(self.name.rsplit(".", 1)[-1], ())
        for fn in self._final_module.functions if callees else ():
            if not fn.is_declaration and any(_mangled_kernel(fn.name, c) for c in callees):
                fn.add_function_attribute("alwaysinline")
        optimize_final_module(self)

    optimize.inlining = True
    return optimize


#: Kernels whose machine code is generated without LLVM's loop strength reduction
#: (``-disable-lsr``, set while the kernel is compiled and cleared after): the two path
#: kernels, each with ``run_path_cash`` built in. In their date loop it gives each array
#: row a date reads a pointer of its own, stepped every date; with the bundles' hundreds
#: of live values every such pointer lives on the stack, loaded, stepped and stored back
#: each date. Without it: the simple pool's waterfall 9% fewer instructions in a build for
#: znver3 (``benchmarks/instruction_count.py``), the waterfall and the shipped book 2 - 7%
#: faster; the draw's vector loops are better with it (1.5% more instructions without).
NO_LSR = ("cash_paths", "book_deal_paths")


def _without_lsr(finalize_final_module):
    """numba's ``_finalize_final_module`` of a code library (where its machine code is
    generated), with loop strength reduction off for the kernels :data:`NO_LSR` names."""

    def finalize(self):
        if self.name.rsplit(".", 1)[-1] not in NO_LSR:
            return finalize_final_module(self)
        binding.set_option("", "-disable-lsr=true")
        try:
            return finalize_final_module(self)
        finally:
            binding.set_option("", "-disable-lsr=false")

    finalize.no_lsr = True
    return finalize


def _install() -> None:
    classes = caching.CacheImpl._locator_classes
    for cls in (_InTreeLocator, _UserDirLocator, _PrebuiltLocator):  # the install's first
        if cls not in classes:
            classes.insert(0, cls)
    if getattr(inline_closurecall, "copy", None) is copy:
        inline_closurecall.copy = _OneScopeCopy()
    lib = codegen.CPUCodeLibrary
    if not getattr(lib._optimize_final_module, "inlining", False):
        lib._optimize_final_module = _inlining(lib._optimize_final_module)
    if not getattr(lib._finalize_final_module, "no_lsr", False):
        lib._finalize_final_module = _without_lsr(lib._finalize_final_module)


_install()
