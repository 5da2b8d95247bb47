"""The kubelet: runs the pods bound to the simulated nodes, through the states and Events of a real one.

For each pod bound to one of its nodes the kubelet writes a first status (Pending, containers
`ContainerCreating`), sets up volumes, starts the sandbox, runs init containers to completion one by one, then
starts each app container: image (`InvalidImageName`; `Pulling`/`Pulled`, or `already present on machine`
when the node has it and the pull policy allows; on failure `Failed` + `Error: ErrImagePull`, then
`BackOff` + `Error: ImagePullBackOff` until the image back-off ends), configuration
(`CreateContainerConfigError` and `Error: …`, retried every pod-sync back-off), `Created container: x`,
`Started container x`, and Ready after `ready_delay`. Failure modes (see `failures`) bend this path; crashed
containers are restarted on the kubelet's back-off schedule (`CrashLoopBackOff`, `BackOff` Warning events).
The annotation is read when the pod is admitted; only `never-ready` also takes effect on a running pod.
Deletion runs the containers' shutdown (`Killing` `Stopping container x`), waits `stop_delay` (at most the
grace period; `slow-stop` waits the whole grace period and is then killed with 137), writes the terminated
status (retried when the write fails) and confirms the deletion with grace period 0, as the kubelet's status
manager does.

Each transition is a timer on the event loop (no polling loops); status writes are coalesced per pod through a
work queue and sent as a merge patch of the whole `status` to the status subresource.

Simplifications: one kubelet process serves every simulated node; probes are not executed but simulated by
the timings (`ready_delay`, `probe_period`); the crash back-off is not reset after 10 minutes of running;
no liveness-probe restarts; no ephemeral or sidecar (restartable init) containers; the volume set-up timeout
message (`Unable to attach or mount volumes … timed out waiting for the condition`) is not produced.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from tests.kubeapi.sim import failures, messages
from tests.kubeapi.sim.client import CONFIGMAPS, PODS, SECRETS
from tests.kubeapi.sim.events import rfc3339
from tests.kubeapi.sim.informer import Key, WorkQueue, key_of
from tests.kubeapi.sim.kubelet_state import NodeInfo, Runtime, field_path, probe_output, pull_policy
from tests.kubeapi.sim.podstatus import RUNNING, ContainerRecord, PodRecord, qos_class
from tests.kubeapi.sim.shared import Shared
from tests.kubeapi.sim.timing import (
    POD_SYNC_BACKOFF,
    crash_backoff,
    go_duration,
    image_backoff,
    mount_backoff,
)

log = logging.getLogger(__name__)

COMPONENT = "kubelet"
IMAGE_SIZE = 48_123_456
FINAL_STATUS_ATTEMPTS = 8


class Kubelet:
    def __init__(self, shared: Shared, nodes: list[str], *, known_registries: tuple[str, ...]) -> None:
        self.shared = shared
        self.kube = shared.kube
        self.t = shared.timings
        self.known_registries = known_registries
        self.nodes = {
            name: NodeInfo(name, index + 1, f"172.18.0.{index + 2}") for index, name in enumerate(nodes)
        }
        self.pods = shared.informer(PODS)
        self.configmaps = shared.informer(CONFIGMAPS)
        self.secrets = shared.informer(SECRETS)
        self.events = shared.recorder(COMPONENT)
        self.status_queue: WorkQueue[Key] = WorkQueue("kubelet-status", self._write_status, workers=8)
        self.deletions: WorkQueue[tuple[str, str, str]] = WorkQueue("kubelet-delete", self._delete, workers=4)
        self.runtimes: dict[Key, Runtime] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.pods.on_change(self._on_pod)

    def _spawn(self, coroutine: Any) -> None:
        if self._closed:
            coroutine.close()
            return
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Informer side ---------------------------------------------------------------------------------------

    def _on_pod(self, kind: str, pod: dict[str, Any], previous: dict[str, Any] | None) -> None:
        key = key_of(pod)
        runtime = self.runtimes.get(key)
        if runtime is not None and runtime.record.uid != pod["metadata"].get("uid"):
            self._forget(runtime)  # a new pod with the same name (StatefulSet): the old one is gone
            runtime = None
        if kind == "DELETED":
            if runtime is not None:
                self._forget(runtime)
            return
        if runtime is not None:
            runtime.pod = pod
            if pod["metadata"].get("deletionTimestamp") and not runtime.stopping:
                self._stop(runtime)
            elif not runtime.stopping:
                self._refault(runtime)
            return
        node = self.nodes.get((pod.get("spec") or {}).get("nodeName") or "")
        if node is None or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        if pod["metadata"].get("deletionTimestamp"):
            self._confirm_deletion(pod)
            return
        self._admit(pod, node)

    def _refault(self, runtime: Runtime) -> None:
        """The failure annotation of a running pod changed: `never-ready` added to a running container makes
        its readiness probe fail from now on, and removed lets it pass again; other modes apply from the
        container's next start."""
        faults = failures.faults_for(runtime.pod)
        if faults == runtime.faults:
            return
        before, runtime.faults = runtime.faults, faults
        for container in runtime.record.containers:
            if container.state != RUNNING:
                continue
            was = "never-ready" in before.get(container.name, ())
            now = "never-ready" in runtime.modes(container.name)
            if now and not was:
                container.ready = False
                self._dirty(runtime)
                self._unhealthy(runtime, container, "Readiness", None)
            elif was and not now:
                self._later(runtime, self.t.ready_delay, self._ready, container)

    def _forget(self, runtime: Runtime) -> None:
        runtime.alive = False
        for timer in runtime.timers:
            timer.cancel()
        self.runtimes.pop(runtime.key, None)
        self.status_queue.forget(runtime.key)
        self.events.forget(runtime.record.uid)

    def _lookup(self, kind: failures.Kind, namespace: str, name: str) -> frozenset[str] | None:
        informer = self.configmaps if kind == "configmap" else self.secrets
        obj = informer.get(namespace, name)
        if obj is None:
            return None
        return frozenset(
            (obj.get("data") or {}).keys()
            | (obj.get("binaryData") or {}).keys()
            | (obj.get("stringData") or {}).keys()
        )

    # Timeline helpers ----------------------------------------------------------------------------------

    def _later(self, runtime: Runtime, delay: float, step: Callable[..., None], *args: Any) -> None:
        def fire() -> None:
            if runtime.alive and not runtime.stopping and not self._closed:
                step(runtime, *args)

        runtime.timers = [
            t for t in runtime.timers if not t.cancelled() and t.when() > asyncio.get_running_loop().time()
        ]
        runtime.timers.append(asyncio.get_running_loop().call_later(max(delay, 0.0), fire))

    def _dirty(self, runtime: Runtime) -> None:
        self.status_queue.add(runtime.key)

    def _event(
        self,
        runtime: Runtime,
        type_: str,
        reason: str,
        message: str,
        container: ContainerRecord | None = None,
    ) -> None:
        self.events.record(
            runtime.pod,
            type_,
            reason,
            message,
            field_path=field_path(container) if container else None,
            host=runtime.node.name,
        )

    def _spec(self, runtime: Runtime, container: ContainerRecord) -> Mapping[str, Any]:
        group = "initContainers" if container.init else "containers"
        return next(c for c in runtime.pod["spec"].get(group) or [] if c["name"] == container.name)

    # Pod start -----------------------------------------------------------------------------------------

    def _admit(self, pod: dict[str, Any], node: NodeInfo) -> None:
        spec = pod["spec"]
        now = rfc3339()
        scheduled = next(
            (
                c.get("lastTransitionTime")
                for c in (pod.get("status") or {}).get("conditions") or []
                if c.get("type") == "PodScheduled" and c.get("status") == "True"
            ),
            None,
        )
        record = PodRecord(
            uid=pod["metadata"]["uid"],
            name=pod["metadata"]["name"],
            namespace=pod["metadata"]["namespace"],
            node=node.name,
            host_ip=node.host_ip,
            pod_ip=node.allocate_ip(),
            start_time=now,
            scheduled_at=scheduled or now,
            qos=qos_class(spec),
            containers=[ContainerRecord(c["name"], c.get("image", "")) for c in spec.get("containers") or []],
            init_containers=[
                ContainerRecord(c["name"], c.get("image", ""), init=True)
                for c in spec.get("initContainers") or []
            ],
        )
        for container in record.containers if record.init_containers else ():
            container.wait("PodInitializing")
        runtime = Runtime(key_of(pod), pod, record, node, failures.faults_for(pod))
        annotations = pod["metadata"].get("annotations") or {}
        for problem in failures.parse_faults(annotations.get(failures.ANNOTATION))[1]:
            log.warning("pod %s/%s: %s", record.namespace, record.name, problem)
        self.runtimes[runtime.key] = runtime
        self._dirty(runtime)
        self._later(runtime, self.t.start_delay / 2, self._mount)

    def _mount(self, runtime: Runtime) -> None:
        problem = failures.volume_problem(
            runtime.pod["spec"], runtime.record.namespace, self._lookup, forced="mount" in runtime.modes("")
        )
        if problem is not None:
            runtime.mount_failures += 1
            volume, cause = problem
            self._event(runtime, "Warning", "FailedMount", messages.mount_failed(volume, cause))
            delay = mount_backoff(runtime.mount_failures) * self.t.backoff_scale
            self._later(runtime, delay, self._mount)
            return
        self._later(runtime, self.t.start_delay / 2, self._sandbox_ready)

    def _sandbox_ready(self, runtime: Runtime) -> None:
        runtime.record.sandbox_ready = True
        self._dirty(runtime)
        self._next_container(runtime)

    def _next_container(self, runtime: Runtime) -> None:
        """Starts the next init container that has not completed, or else every app container."""
        for container in runtime.record.init_containers:
            if not container.completed:
                if container.state != RUNNING:
                    self._start_container(runtime, container)
                return
        for container in runtime.record.containers:
            if container.state != RUNNING and container.reason in ("ContainerCreating", "PodInitializing"):
                self._start_container(runtime, container)

    def _start_container(self, runtime: Runtime, container: ContainerRecord) -> None:
        spec = self._spec(runtime, container)
        image = spec.get("image", "")
        ref = failures.parse_image(image)
        if isinstance(ref, str):
            message = messages.invalid_image_name(image, ref)
            self._event(runtime, "Warning", "InspectFailed", message, container)
            self._event(runtime, "Warning", "Failed", messages.error("InvalidImageName"), container)
            container.wait("InvalidImageName", message)
            self._dirty(runtime)
            self._later(runtime, POD_SYNC_BACKOFF * self.t.backoff_scale, self._start_container, container)
            return
        forced = "image-pull" in runtime.modes(container.name)
        cached = ref.reference in runtime.node.images and not forced
        if cached and pull_policy(spec) != "Always":
            self._event(runtime, "Normal", "Pulled", messages.already_present(image), container)
            self._create(runtime, container)
            return
        self._event(runtime, "Normal", "Pulling", messages.pulling(image), container)
        self._later(runtime, self.t.pull_duration, self._pulled, container)

    def _pulled(self, runtime: Runtime, container: ContainerRecord) -> None:
        image = self._spec(runtime, container).get("image", "")
        error = failures.pull_error(
            image, forced="image-pull" in runtime.modes(container.name), known=self.known_registries
        )
        if error is None:
            ref = failures.parse_image(image)
            if isinstance(ref, failures.ImageRef):
                runtime.node.images.add(ref.reference)
            took = max(self.t.pull_duration, 0.001)
            self._event(runtime, "Normal", "Pulled", messages.pulled(image, took, IMAGE_SIZE), container)
            self._create(runtime, container)
            return
        failures_so_far = runtime.pull_failures.get(container.name, 0) + 1
        runtime.pull_failures[container.name] = failures_so_far
        self._event(runtime, "Warning", "Failed", messages.failed_to_pull(image, error), container)
        self._event(runtime, "Warning", "Failed", messages.error("ErrImagePull"), container)
        container.wait("ErrImagePull", error)
        self._dirty(runtime)
        self._later(runtime, self.t.start_delay, self._pull_back_off, container, error)
        self._later(
            runtime, image_backoff(failures_so_far) * self.t.backoff_scale, self._start_container, container
        )

    def _pull_back_off(self, runtime: Runtime, container: ContainerRecord, error: str) -> None:
        image = self._spec(runtime, container).get("image", "")
        self._event(runtime, "Normal", "BackOff", messages.back_off_pulling(image), container)
        self._event(runtime, "Warning", "Failed", messages.error("ImagePullBackOff"), container)
        container.wait("ImagePullBackOff", messages.image_pull_back_off_waiting(image, error))
        self._dirty(runtime)

    def _create(self, runtime: Runtime, container: ContainerRecord) -> None:
        spec = self._spec(runtime, container)
        problem = failures.config_problem(spec, runtime.record.namespace, self._lookup)
        if problem is None and "config" in runtime.modes(container.name):
            problem = failures.forced_config_problem(spec, runtime.record.namespace)
        if problem is not None:
            self._event(runtime, "Warning", "Failed", messages.error(problem), container)
            container.wait("CreateContainerConfigError", problem)
            self._dirty(runtime)
            self._later(runtime, POD_SYNC_BACKOFF * self.t.backoff_scale, self._start_container, container)
            return
        if container.has_run:
            container.restart()
        self._event(runtime, "Normal", "Created", messages.created(container.name), container)
        self._event(runtime, "Normal", "Started", messages.started(container.name), container)
        modes = runtime.modes(container.name)
        slow = "slow-start" in modes
        container.run(rfc3339(), pod_uid=runtime.record.uid, started=not (slow and "startupProbe" in spec))
        self._dirty(runtime)
        if container.init:
            if modes & {"crash-loop", "oom-kill"}:
                self._later(runtime, self.t.crash_after, self._crash, container)
            else:
                self._later(runtime, self.t.start_delay, self._completed, container)
            return
        if modes & {"crash-loop", "oom-kill"}:
            self._later(runtime, self.t.crash_after, self._crash, container)
            return
        if "never-ready" in modes:
            self._later(runtime, self.t.ready_delay, self._unhealthy, container, "Readiness", None)
            return
        delay = self.t.ready_delay + (self.t.slow_start if slow else 0.0)
        if slow and ("startupProbe" in spec or "readinessProbe" in spec):
            probe = "Startup" if "startupProbe" in spec else "Readiness"
            self._later(
                runtime, self.t.ready_delay, self._unhealthy, container, probe, time.monotonic() + delay
            )
        self._later(runtime, delay, self._ready, container)

    def _ready(self, runtime: Runtime, container: ContainerRecord) -> None:
        if container.state != RUNNING:
            return
        container.ready = container.started = True
        self._dirty(runtime)
        if "fail-after-ready" in runtime.modes(container.name):
            self._later(runtime, self.t.fail_after, self._crash, container)

    def _unhealthy(
        self, runtime: Runtime, container: ContainerRecord, probe: str, until: float | None
    ) -> None:
        if container.state != RUNNING or (until is not None and time.monotonic() >= until):
            return
        if until is None and "never-ready" not in runtime.modes(container.name):
            return  # the annotation that made the probe fail was removed
        output = probe_output(self._spec(runtime, container), probe, runtime.record.pod_ip)
        self._event(runtime, "Warning", "Unhealthy", messages.probe_failed(probe, output), container)
        self._later(runtime, self.t.probe_period, self._unhealthy, container, probe, until)

    def _completed(self, runtime: Runtime, container: ContainerRecord) -> None:
        container.terminate(rfc3339(), reason="Completed", exit_code=0)
        self._dirty(runtime)
        self._next_container(runtime)

    def _crash(self, runtime: Runtime, container: ContainerRecord) -> None:
        if container.state != RUNNING:
            return
        oom = "oom-kill" in runtime.modes(container.name)
        container.terminate(rfc3339(), reason="OOMKilled" if oom else "Error", exit_code=137 if oom else 1)
        self._dirty(runtime)
        delay = crash_backoff(container.restart_count)
        if delay == 0:
            self._later(runtime, self.t.start_delay, self._start_container, container)
            return
        self._later(runtime, self.t.start_delay, self._back_off, container, delay)

    def _back_off(self, runtime: Runtime, container: ContainerRecord, delay: float) -> None:
        pod_full = runtime.record.full_name
        self._event(
            runtime, "Warning", "BackOff", messages.back_off_restarting(container.name, pod_full), container
        )
        container.hold_back(
            "CrashLoopBackOff", messages.crash_loop_waiting(go_duration(delay), container.name, pod_full)
        )
        self._dirty(runtime)
        self._later(runtime, delay * self.t.backoff_scale, self._start_container, container)

    # Pod stop ------------------------------------------------------------------------------------------

    def _stop(self, runtime: Runtime) -> None:
        runtime.stopping = True
        for timer in runtime.timers:
            timer.cancel()
        runtime.timers.clear()
        metadata = runtime.pod["metadata"]
        grace = metadata.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = runtime.pod["spec"].get("terminationGracePeriodSeconds", 30)
        grace_seconds = float(grace) * self.t.grace_scale
        stubborn = False
        for container in runtime.record.containers:
            if container.state == RUNNING:
                self._event(runtime, "Normal", "Killing", messages.stopping(container.name), container)
                stubborn = stubborn or "slow-stop" in runtime.modes(container.name)
        delay = grace_seconds if stubborn else min(self.t.stop_delay, grace_seconds)
        runtime.timers.append(
            asyncio.get_running_loop().call_later(
                delay, lambda: self._spawn(self._finish_stop(runtime, killed=stubborn))
            )
        )

    async def _finish_stop(self, runtime: Runtime, *, killed: bool) -> None:
        if not runtime.alive:
            return
        now = rfc3339()
        for container in runtime.record.containers:
            if container.state == RUNNING:
                stubborn = killed and "slow-stop" in runtime.modes(container.name)
                container.terminate(
                    now, reason="Error" if stubborn else "Completed", exit_code=137 if stubborn else 0
                )
        runtime.record.sandbox_ready = False
        try:
            await self._write_final_status(runtime)
        finally:
            self._confirm_deletion(runtime.pod)

    async def _write_final_status(self, runtime: Runtime) -> None:
        """The terminated containers' status, retried when the write fails (as the status manager retries
        it) before the pod is deleted; given up after a few attempts, since the deletion must go on."""
        for attempt in range(FINAL_STATUS_ATTEMPTS):
            try:
                await self._write_status(runtime.key)
                return
            except Exception as error:  # an error answer, a broken connection, a timeout
                log.debug("final status of %s/%s failed (%r)", *runtime.key, error)
                if not runtime.alive:
                    return
                await asyncio.sleep(min(0.005 * 2**attempt, 1.0))
        log.warning("final status of %s/%s not written", *runtime.key)

    def _confirm_deletion(self, pod: Mapping[str, Any]) -> None:
        """Queues the final DELETE (grace period 0, uid precondition); the queue retries until it is done."""
        metadata = pod["metadata"]
        self.deletions.add((metadata["namespace"], metadata["name"], metadata["uid"]))

    async def _delete(self, target: tuple[str, str, str]) -> None:
        namespace, name, uid = target
        await self.kube.delete(PODS, namespace, name, grace_period=0, uid=uid)

    # Status --------------------------------------------------------------------------------------------

    async def _write_status(self, key: Key) -> None:
        runtime = self.runtimes.get(key)
        if runtime is None or not runtime.alive:
            return
        status = runtime.record.status(rfc3339())
        patched = await self.kube.patch(PODS, key[0], key[1], {"status": status}, subresource="status")
        if patched is None:
            self._forget(runtime)

    async def run(self) -> None:
        try:
            await asyncio.gather(self.status_queue.run(), self.deletions.run())
        finally:
            self._closed = True
            for runtime in list(self.runtimes.values()):
                for timer in runtime.timers:
                    timer.cancel()
            for task in list(self._tasks):
                task.cancel()
