"""The Kubernetes client layer: the only code that imports kubernetes_asyncio.

It loads kubeconfig and credentials, and implements ``ports.Cluster`` with raw JSON
reads of pod lists, watches and log streams (no generated models on the hot path).
"""
