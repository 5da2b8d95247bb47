"""A simulated cluster on the Kubernetes API emulator: the controllers, scheduler, kubelet and KEDA that turn
workloads into pods, pods into statuses and Events, and queue depth into replicas.

Every simulator talks to the emulator only through its HTTP API with kubernetes-asyncio, as the real
components do. The module docstrings state what each one simplifies.
"""
