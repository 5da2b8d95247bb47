"""Apply bodies: the digest annotation, the status body, refused bodies (pure parts of apply)."""

from __future__ import annotations

import pytest

from controller.kube.apply import apply_paths, check_body, digest, status_body, with_digest

BODY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "d", "namespace": "ns", "labels": {"a": "1"}},
    "spec": {"replicas": 2},
}


def test_the_digest_ignores_key_order() -> None:
    reordered = {"spec": {"replicas": 2}, "metadata": {"labels": {"a": "1"}, "namespace": "ns", "name": "d"},
                 "kind": "Deployment", "apiVersion": "apps/v1"}  # fmt: skip
    assert digest(BODY) == digest(reordered)
    assert digest(BODY) != digest({**BODY, "spec": {"replicas": 3}})


def test_with_digest_annotates_the_body_with_the_digest_of_the_rest() -> None:
    annotated, value = with_digest(BODY, "x/digest")
    assert annotated["metadata"]["annotations"] == {"x/digest": value}
    assert value == digest(BODY)
    again, same = with_digest(annotated, "x/digest")  # re-annotating an annotated body changes nothing
    assert (again, same) == (annotated, value)
    assert BODY["metadata"] == {"name": "d", "namespace": "ns", "labels": {"a": "1"}}  # input untouched


def test_with_digest_keeps_other_annotations() -> None:
    body = {**BODY, "metadata": {**BODY["metadata"], "annotations": {"keep": "me"}}}
    annotated, _ = with_digest(body, "x/digest")
    assert annotated["metadata"]["annotations"]["keep"] == "me"


def test_status_body_keeps_only_identity_and_status() -> None:
    body = {**BODY, "status": {"phase": "Running"}}
    assert status_body(body) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "ns"},
        "status": {"phase": "Running"},
    }


def test_apply_paths_name_generation_and_the_annotation() -> None:
    assert apply_paths("x/d") == (("metadata", "generation"), ("metadata", "annotations", "x/d"))


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "Deployment", "metadata": {"name": "d"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "5"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "managedFields": []}},
    ],
)
def test_incomplete_or_optimistic_bodies_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="apply body"):
        check_body(body)
