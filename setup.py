"""The one thing setup.cfg cannot say: the top-level ``templates/`` and ``migrations/`` travel in
the wheel, inside the ``app`` package (``app/_bundled/templates``, ``app/_bundled/migrations``).

Why: an installed ROMIN (``pip install .``, the Docker image) must find its pages and its
migrations beside its code, wherever it is installed, while the checkout keeps its fixed
top-level layout. ``app.config.data_dir`` reads the bundled copy, or the checkout's own folders
under ``pip install -e`` (an editable install builds no copy). The sdist carries both folders
(MANIFEST.in), so a wheel built from it has them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("templates", "migrations")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name in BUNDLED:
            target = Path(self.build_lib) / "app" / "_bundled" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
