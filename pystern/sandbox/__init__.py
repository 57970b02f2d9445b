"""The sandbox: a simulated Kubernetes API server (aiohttp) that real kubectl accepts.

Used by ``pystern --demo``, by the tests and by the ``pystern-sandbox`` command.
It imports nothing above the bottom layer of pystern.
"""
