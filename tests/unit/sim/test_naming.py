"""Names shaped like the ones real controllers generate."""

from __future__ import annotations

import re

from tests.kubeapi.sim.naming import ALPHANUMS, event_name, fnv32a, safe_encode, template_hash


def test_fnv32a_matches_the_reference_vectors() -> None:
    assert fnv32a(b"") == 0x811C9DC5
    assert fnv32a(b"a") == 0xE40C292C
    assert fnv32a(b"foobar") == 0xBF9CF968


def test_safe_encoding_uses_only_the_vowel_free_alphabet() -> None:
    assert set(safe_encode("0123456789")) <= set(ALPHANUMS)


def test_template_hash_is_stable_and_changes_with_the_template() -> None:
    template = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "a", "image": "i:1"}]}}
    changed = {**template, "spec": {"containers": [{"name": "a", "image": "i:2"}]}}
    assert template_hash(template) == template_hash(dict(reversed(list(template.items()))))
    assert template_hash(template) != template_hash(changed)
    assert template_hash(template) != template_hash(template, collision_count=1)
    assert re.fullmatch(f"[{ALPHANUMS}]{{6,10}}", template_hash(template))


def test_event_names_are_the_object_name_and_hex_nanoseconds() -> None:
    assert event_name("web-1", 0x17A1B2C3D4E5F678) == "web-1.17a1b2c3d4e5f678"
