"""The local domain for outbound-proxy discovery, from resolv.conf text."""

from __future__ import annotations

from pathlib import Path

from alexphone.discovery.outbound_proxy import local_domain, system_domain


def test_search_and_domain_lines() -> None:
    assert local_domain("nameserver 10.0.0.1\nsearch lab.test other.test\n") == "lab.test"
    assert local_domain("domain Corp.Example.\n") == "corp.example"
    assert local_domain("search a.test\ndomain b.test\n") == "b.test"  # the last one wins


def test_no_domain_comments_and_mdns_local() -> None:
    assert local_domain("nameserver 10.0.0.1\n") is None
    assert local_domain("# search commented.test\n; domain also.test\n") is None
    assert local_domain("search local\n") is None


def test_system_domain_reads_a_file(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("search home.test\n")
    assert system_domain(conf) == "home.test"
    assert system_domain(tmp_path / "missing") is None
