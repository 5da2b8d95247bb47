"""The rig of the controller's benchmark (``tests/bench/bench_controller.py``).

- ``cluster``  — the API emulator and the simulated cluster in a child process, with a control server
- ``process``  — ``asya-controller run`` as a child process: readiness, metrics, resident set
- ``baseline`` — the child process that sends only the minimum requests 1 000 actors require
- ``stage``    — one cluster process, a RabbitMQ virtual host, the benchmark's client and its watch of actors
- ``actors``   — what the benchmark creates and changes, and how it sees the answers (pure where it can)
- ``phases``   — the steady-state measurements; ``faults`` — the fault-recovery measurement
"""
