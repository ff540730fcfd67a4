"""The command line's method registry: every method has its options and a builder."""

from __future__ import annotations

import argparse
import inspect

import pytest

from skgraphemb.cli import METHODS, build_parser
from skgraphemb.cli._methods import _REGISTRY, PROPAGATION

REGISTRY = {m.name: m for m in _REGISTRY}


def _namespace(**options):
    return argparse.Namespace(n_jobs=None, seed=0, verbose=0, **options)


def test_methods_is_the_registry():
    assert list(METHODS) == list(REGISTRY)
    assert len(REGISTRY) == len(_REGISTRY)  # names are unique
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    method_action = next(a for a in sub.choices["embed"]._actions if a.dest == "method")
    assert sorted(method_action.choices) == sorted(METHODS)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_method_has_options_and_a_builder(name):
    method = REGISTRY[name]
    cls = method.estimator_class()
    signature = inspect.signature(cls).parameters
    assert method.options and all(param in signature for param, _ in method.options)

    parser = argparse.ArgumentParser()
    method.add_options(parser)
    dests = {a.dest for a in parser._actions}
    assert {method.prefix + param for param, _ in method.options} <= dests

    # no option given: the estimator's defaults, with the run settings of the command line
    est = METHODS[name](_namespace())
    assert type(est) is cls
    assert est.get_params()["random_state"] == 0
    est._validate_params()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_option_reaches_the_estimator(name):
    method = REGISTRY[name]
    cls = method.estimator_class()
    signature = inspect.signature(cls).parameters
    parser = argparse.ArgumentParser()
    method.add_options(parser)
    for param, _ in method.options:
        default = signature[param].default
        if default is None:
            continue
        text = ",".join(map(str, default)) if isinstance(default, tuple) else str(default)
        args = parser.parse_args([method.flag(param), text])  # --dimensions: n_components
        args.__dict__.update(n_jobs=None, seed=0, verbose=0)
        assert METHODS[name](args).get_params()[param] == default


def test_options_of_different_methods_do_not_collide():
    records = [*_REGISTRY, PROPAGATION]
    dests = [m.prefix + param for m in records for param, _ in m.options]
    assert len(dests) == len(set(dests))
    flags = [m.flag(param) for m in records for param, _ in m.options]
    assert len(flags) == len(set(flags)), flags
    build_parser()  # argparse refuses a flag defined twice


def test_booleans_and_sequences_parse_as_written():
    args = build_parser().parse_args(
        ["embed", "karate", "--method", "fastrp", "--fastrp-weights", "1,0.5", "--fastrp-normalize-powers", "false"]
    )
    est = METHODS["fastrp"](args)
    assert est.weights == (1.0, 0.5) and est.normalize_powers is False
    for bad in (["--fastrp-normalize-powers", "maybe"], ["--fastrp-weights", "1,x"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["embed", "karate", "--method", "fastrp", *bad])


def test_propagate_wraps_the_method_with_its_options():
    from skgraphemb import ProNEEmbedder, SpectralPropagation
    from skgraphemb.cli._methods import _make_embedder

    argv = ["embed", "karate", "--method", "prone", "--prone-order", "1", "--propagate", "--propagate-order", "4"]
    est = _make_embedder("prone", build_parser().parse_args(argv))
    assert isinstance(est, SpectralPropagation) and isinstance(est.embedder, ProNEEmbedder)
    assert est.order == 4 and est.embedder.order == 1 and est.random_state == 0
    plain = _make_embedder("prone", build_parser().parse_args(argv[:6]))
    assert isinstance(plain, ProNEEmbedder)
