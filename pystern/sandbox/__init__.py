"""The sandbox: a simulated Kubernetes API server (aiohttp) that real kubectl accepts.

Used by ``pystern --demo``, by the tests and by the ``pystern-sandbox`` command.
It imports nothing above the bottom layer of pystern.

    async with Sandbox.start() as sb:          # tls=True for kubectl (it sends tokens only over TLS)
        sb.cluster.add_pod("web", containers=("app", "proxy"))
        sb.cluster.write("web", "app", "hello")
        sb.write_kubeconfig(tmp_path / "kubeconfig")

Modules, bottom up: ``logstore`` (one container instance's log), ``pods`` (pod records
and their JSON), ``store`` (objects, resourceVersions, watch fan-out), ``driver`` /
``containers`` / ``faults`` / ``deployments`` / ``workloads`` (the synchronous ScenarioDriver,
layer by layer), ``status`` / ``params`` / ``resources`` / ``table`` (wire formats), ``watch`` and
``logs`` (the streaming endpoints), ``app`` (routing and auth), ``server`` (Sandbox),
``demo`` / ``churn`` (background scenarios), ``faultcycle`` (faults by name, for soaks),
``procstats`` (a process's RSS and open fds, for soaks and tests) and ``cli`` (``pystern-sandbox``).
"""

from pystern.sandbox.server import Sandbox
from pystern.sandbox.workloads import ScenarioDriver

__all__ = ["Sandbox", "ScenarioDriver"]
