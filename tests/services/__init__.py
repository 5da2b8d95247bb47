"""Real services the test suite starts for itself: a RabbitMQ node and an SQS endpoint (moto).

Each module is a pytest plugin (registered in ``tests/conftest.py``) with session-scoped fixtures, so that
unit, simulated-cluster and integration tests share one node per run. Every server binds 127.0.0.1 on ports
chosen at run time and keeps its state in its own temporary directory, so parallel runs never collide.
"""
