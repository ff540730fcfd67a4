"""Build of the compiled kernels; everything else about the package is in pyproject.toml.

The graph builder's kernels (``skgraphemb/graph/_csr_kernels.pyx``), the
walk kernels (``skgraphemb/walks/_walk_kernels.h``) and the skip-gram
kernels (``skgraphemb/skipgram/_sgns.h``), the last two bound by a ``.pyx``
file beside them, are compiled here, at install time, so that a node2vec fit
compiles nothing.  GCC and Clang get ``-O3``; the skip-gram products are
compiled for AVX2 + FMA and for the x86-64 baseline and the CPU picks at
load time; the walks are built with ``-ffp-contract=off`` so that their
floating-point tests give the same walks on every machine.
"""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

args = [] if sys.platform == "win32" else ["-O3", "-std=gnu11", "-Wno-psabi"]

extensions = [
    Extension(
        "skgraphemb.skipgram._sgns",
        ["skgraphemb/skipgram/_sgns.pyx"],
        depends=["skgraphemb/skipgram/_sgns.h", "skgraphemb/skipgram/_sgns_plan.h", "skgraphemb/_kernels/_random.h"],
        include_dirs=["skgraphemb/skipgram", "skgraphemb/_kernels"],
        extra_compile_args=args,
    ),
    Extension(
        "skgraphemb.graph._csr_kernels",
        ["skgraphemb/graph/_csr_kernels.pyx"],
        extra_compile_args=args,
    ),
    Extension(
        "skgraphemb.walks._walk_kernels",
        ["skgraphemb/walks/_walk_kernels.pyx"],
        depends=["skgraphemb/walks/_walk_kernels.h", "skgraphemb/_kernels/_random.h"],
        include_dirs=["skgraphemb/walks", "skgraphemb/_kernels"],
        extra_compile_args=args + ([] if sys.platform == "win32" else ["-ffp-contract=off"]),
    ),
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": 3}))
