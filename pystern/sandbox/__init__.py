"""The sandbox: a simulated Kubernetes API server (aiohttp) that real kubectl accepts.

Used by ``pystern --demo``, by the tests and by the ``pystern-sandbox`` command.
It imports nothing above the bottom layer of pystern.

    async with Sandbox.start() as sb:
        sb.cluster.add_pod("web", containers=("app",))
        sb.cluster.write("web", "app", "hello")
        sb.write_kubeconfig("/tmp/kubeconfig")
"""

from pystern.sandbox.server import Sandbox
from pystern.sandbox.workloads import ScenarioDriver

__all__ = ["Sandbox", "ScenarioDriver"]
