"""The actor runtime script, shipped inside this package for the ``asya-runtime`` ConfigMap.

``asya_runtime.py`` beside this module is the file actor pods run (standard library only, Python 3.8+); the
controller never imports it. ``runtime_script()`` returns its text, read as package data so that it works
from a wheel, a zip or a source checkout alike.
"""

from __future__ import annotations

from importlib import resources

from controller.api.constants import RUNTIME_CONFIGMAP_KEY


def runtime_script() -> str:
    """The runtime script's source: the value of key ``asya_runtime.py`` in ConfigMap ``asya-runtime``."""
    return resources.files(__name__).joinpath(RUNTIME_CONFIGMAP_KEY).read_text(encoding="utf-8")
