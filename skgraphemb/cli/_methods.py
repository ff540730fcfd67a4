"""The embedding methods of the command line: one record per method.

A :class:`Method` names the estimator and the parameters exposed as
``--options``; both the parser's options and the embedder built from the
parsed arguments come from it.  A new method is one more entry in
:data:`_REGISTRY`.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skgraphemb.utils._validation import Integral, Interval


@dataclass(frozen=True)
class Method:
    """A method of the command line and the estimator options it exposes.

    ``options`` are ``(parameter, help)`` pairs of the estimator; the
    defaults shown are the estimator's, read from its signature so the two
    never disagree.  Options are stored in the namespace as ``prefix + name``.
    ``flags`` names the command-line option of a parameter whose option
    keeps another name (node2vec's ``--dimensions`` sets ``n_components``);
    every flag is unique across the methods (``--prone-order`` is not SVD's
    ``--order``).  Booleans are written ``true``/``false`` and sequences as
    comma-separated numbers.
    """

    name: str
    estimator: str  # "module:Class", imported when first needed
    options: tuple[tuple[str, str], ...]
    prefix: str = ""
    flags: tuple[tuple[str, str], ...] = ()

    def flag(self, name: str) -> str:
        """The command-line option of parameter ``name`` (``--prone-order``)."""
        return "--" + dict(self.flags).get(name, name).replace("_", "-")

    def estimator_class(self) -> type:
        module, _, cls = self.estimator.partition(":")
        return getattr(importlib.import_module(module), cls)

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Add ``--name`` options for the estimator's parameters, defaults from its signature.

        A parameter whose default is None and whose constraints list string
        options gets the choice "none".
        """
        cls = self.estimator_class()
        group = parser.add_argument_group(f"{self.name} options (defaults: {cls.__name__}'s)")
        signature = inspect.signature(cls).parameters
        for name, text in self.options:
            default = signature[name].default
            constraints = cls._parameter_constraints[name]
            choices = next((c.options for c in constraints if hasattr(c, "options")), None)
            number = next((c.type for c in constraints if isinstance(c, Interval)), None)
            kwargs: dict[str, Any] = {}
            if isinstance(default, bool):
                kwargs.update(type=_boolean, metavar="{true,false}")
            elif isinstance(default, (tuple, list)):
                kwargs.update(type=_numbers, metavar="X,Y,...")
                default = ",".join(f"{v:g}" for v in default)
            elif choices and number is not None:  # e.g. sample: "auto" or a float
                kind = int if number is Integral else float
                kwargs.update(type=_choice_or(kind, choices), metavar="{" + ",".join(sorted(choices)) + "} or X")
            elif choices:  # a StrOptions constraint: let argparse list the choices
                kwargs.update(type=str, choices=(["none"] if default is None else []) + sorted(choices))
            else:
                kwargs.update(type=type(default), metavar="N" if isinstance(default, int) else "X")
            group.add_argument(
                self.flag(name),
                dest=self.prefix + name,
                # SUPPRESS: options not given stay out of the namespace, so the
                # estimator's own default applies.
                default=argparse.SUPPRESS,
                help=f"{text} (default: {'none' if default is None else default})",
                **kwargs,
            )

    def make(self, args: argparse.Namespace, **extra):
        """The (unfitted) estimator of the options given on the command line ("none" -> None)."""
        given = {
            name: (None if getattr(args, self.prefix + name) == "none" else getattr(args, self.prefix + name))
            for name, _ in self.options
            if hasattr(args, self.prefix + name)
        }
        return self.estimator_class()(
            **extra, **given, n_jobs=args.n_jobs, random_state=args.seed, verbose=min(args.verbose, 1)
        )


_REGISTRY = (
    Method(
        "node2vec",
        "skgraphemb.node2vec:Node2VecEmbedder",
        (
            ("n_components", "size of the embedding vectors"),
            ("walk_length", "nodes per walk"),
            ("num_walks", "walks started from every node"),
            ("p", "return parameter (low: walks backtrack often)"),
            ("q", "in-out parameter (<1: move outward, >1: stay local)"),
            ("window", "skip-gram context window"),
            ("negative", "negative samples per positive pair"),
            ("epochs", "passes of the skip-gram trainer over the walks"),
            ("learning_rate", "initial learning rate"),
            ("min_alpha", "final learning rate (0.0001 suits several epochs)"),
            ("sample", "down-sampling of frequent nodes (0: off; auto: scaled with the graph's size)"),
            ("trainer", "skip-gram trainer"),
            ("backend", "walk engine"),
            ("device", "where torch stages run: cpu, auto (a GPU if any), cuda, cuda:N"),
        ),
        # The options kept their names (--n-components is SVD's).
        flags=(("n_components", "dimensions"), ("learning_rate", "alpha")),
    ),
    Method(
        "svd",
        "skgraphemb.svd:SVDEmbedder",
        (
            ("n_components", "size of the embedding vectors"),
            ("order", "power of the adjacency matrix (proximity order)"),
            ("normalization", "adjacency normalization ('none': raw adjacency)"),
        ),
        prefix="svd_",
    ),
    Method(
        "prone",
        "skgraphemb.spectral.prone:ProNEEmbedder",
        (
            ("n_components", "size of the embedding vectors"),
            ("order", "Chebyshev terms of the spectral propagation (1: the sparse factorisation alone)"),
            ("mu", "centre of the band-pass filter"),
            ("theta", "width parameter of the band-pass filter"),
            ("n_iter", "power iterations of the randomized SVD"),
        ),
        prefix="prone_",
        flags=tuple((name, f"prone_{name}") for name in ("n_components", "order", "mu", "theta", "n_iter")),
    ),
    Method(
        "fastrp",
        "skgraphemb.spectral.fastrp:FastRPEmbedder",
        (
            ("n_components", "size of the embedding vectors"),
            ("weights", "weight of each power of the transition matrix, comma-separated"),
            ("beta", "degree normalisation strength (negative: damp hubs)"),
            ("normalize_powers", "scale each power's rows to unit length before the weighted sum"),
        ),
        prefix="fastrp_",
        flags=tuple((name, f"fastrp_{name}") for name in ("n_components", "weights", "beta", "normalize_powers")),
    ),
)

#: ``--propagate``: any method wrapped in SpectralPropagation, whose options these are.
PROPAGATION = Method(
    "propagation",
    "skgraphemb.spectral.propagation:SpectralPropagation",
    (
        ("order", "Chebyshev terms of the propagation"),
        ("mu", "centre of the band-pass filter"),
        ("theta", "width parameter of the band-pass filter"),
    ),
    prefix="propagate_",
    flags=tuple((name, f"propagate_{name}") for name in ("order", "mu", "theta")),
)

#: Method name -> factory building the (unfitted) embedder from parsed options.
METHODS: dict[str, Callable[[argparse.Namespace], Any]] = {m.name: m.make for m in _REGISTRY}


def _boolean(text: str) -> bool:
    """argparse type: true/false (also yes/no, 1/0)."""
    value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false; got {text!r}")
    return value


def _numbers(text: str) -> tuple[float, ...]:
    """argparse type: comma-separated numbers -> a tuple of floats."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 0,0,1,6.67; got {text!r}") from None
    return values


def _choice_or(kind: type, choices) -> Callable[[str], Any]:
    """argparse type: one of ``choices`` as given, otherwise a number of ``kind``."""

    def convert(text: str):
        if text in choices:
            return text
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {' or '.join(map(repr, sorted(choices)))} or a number; got {text!r}"
            ) from None

    return convert


def _add_method_options(parser: argparse.ArgumentParser) -> None:
    """The options of every method, one argument group each, then ``--propagate`` and its options."""
    for method in _REGISTRY:
        method.add_options(parser)
    parser.add_argument(
        "--propagate",
        action="store_true",
        help="enhance the method's embedding by ProNE's spectral propagation over the graph "
        "(SpectralPropagation; --grid then also reaches its order, mu, theta)",
    )
    PROPAGATION.add_options(parser)


def _make_embedder(method: str, args: argparse.Namespace):
    """The embedder of ``method``, its parameters checked before any work."""
    record = next(m for m in _REGISTRY if m.name == method)
    est = _validated(record, METHODS[method](args))
    if getattr(args, "propagate", False):
        est = _validated(PROPAGATION, PROPAGATION.make(args, embedder=est))
    return est


def method_label(method: str, args: argparse.Namespace) -> str:
    """The method's name in messages and tables (``svd+propagation`` with ``--propagate``)."""
    return f"{method}+propagation" if getattr(args, "propagate", False) else method


def _validated(record: Method, est):
    """``est`` with its parameters checked now (not after loading the graph), the options named as given."""
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        est._validate_params()
    except InvalidParameterError as e:
        # Name the option as given on the command line (--dimensions sets n_components).
        text = str(e)
        for param, flag in record.flags:
            shown = param if flag == record.prefix + param else flag  # 'order' (--prone-order), 'dimensions'
            text = text.replace(f"'{param}' parameter", f"'{shown}' parameter ({record.flag(param)})")
        if text == str(e):
            raise
        raise InvalidParameterError(text) from e
    return est
