"""pystern: tail the logs of many Kubernetes pods and containers at once, stern-compatible.

The package is layered (see README "Architecture"): ``cli`` on top, the engine
(``run``, ``discovery``, ``containers``, ``tail``, ``merge``) below it, then ``render``/``gotemplate``/
``filters``/``options``, then ``kube`` and ``sandbox``, and ``model``/``errors``/``timefmt``
at the bottom.  Imports only point down.
"""

__version__ = "0.1.0"
