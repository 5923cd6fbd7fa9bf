"""The type stubs (shoal/__init__.pyi, shoal/asyncio.pyi) describe what the package really has:
every public name and every public Socket/Context/Frame/Poller member appears in the stubs, and
everything the stubs declare exists; public callables have docstrings."""

import ast
import inspect
import os

import shoal
import shoal.asyncio

PKG = os.path.dirname(shoal.__file__)


def stub(name):
    with open(os.path.join(PKG, name)) as f:
        return ast.parse(f.read())


def top_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def class_members(tree, cls):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            out = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.add(item.name)
                elif isinstance(item, ast.AnnAssign):
                    out.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    out.update(t.id for t in item.targets if isinstance(t, ast.Name))
            return out
    raise AssertionError(f"class {cls} not in the stub")


def public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def test_module_names_match():
    tree = stub("__init__.pyi")
    declared = top_names(tree) - {"Buffer", "_S", "_Pollable"}
    assert set(shoal.__all__) - declared == set()
    assert {n for n in declared if not hasattr(shoal, n)} == set()


def test_class_members_match():
    tree = stub("__init__.pyi")
    for cls in ("Socket", "Context", "Frame", "Poller"):
        declared = class_members(tree, cls)
        real = public(getattr(shoal, cls))
        assert real - declared == set(), f"{cls}: members missing from the stub"
        assert {n for n in declared if not n.startswith("_") and n not in real} == set(), f"{cls}: stub has extra"


def test_asyncio_stub():
    tree = stub("asyncio.pyi")
    declared = class_members(tree, "Socket")
    for name in declared:
        assert inspect.iscoroutinefunction(getattr(shoal.asyncio.Socket, name)), name
    coroutines = {n for n in public(shoal.asyncio.Socket)
                  if inspect.iscoroutinefunction(getattr(shoal.asyncio.Socket, n))}
    assert coroutines == declared
    assert top_names(tree) >= set(shoal.asyncio.__all__)


def test_docstrings():
    for cls in (shoal.Socket, shoal.Context, shoal.Frame, shoal.Poller):
        assert cls.__doc__
        for n in public(cls):
            member = getattr(cls, n)
            if callable(member) and not isinstance(member, type):
                assert member.__doc__, f"{cls.__name__}.{n} has no docstring"
    assert shoal.__doc__ and shoal.asyncio.__doc__
