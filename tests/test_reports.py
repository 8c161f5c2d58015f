"""Report builders: verdict aggregation, the JSON summary and the HTML matrix."""

from reports import compliance_html, summary


def result(behaviour, target, grade, family="ipv4", seat="client", detail="d"):
    return {"behaviour": behaviour, "target": target, "family": family, "seat": seat, "grade": grade,
            "detail": detail, "nodeid": "n", "adapter": "impl 1.0"}


def test_a_behaviour_verdict_is_the_worst_of_its_cases():
    assert summary.behaviour_verdict(["pass", "fail", "error"]) == "fail"
    assert summary.behaviour_verdict(["pass", "divergent"]) == "divergent"
    assert summary.behaviour_verdict(["pass", "not-applicable"]) == "pass"
    assert summary.behaviour_verdict(["not-applicable"]) == "not-applicable"
    assert summary.behaviour_verdict([]) == "not-run"


def test_summary_counts_and_html_escapes():
    targets = {"<t>": {"spec": "cmd:<x>", "adapter": "impl & co"}}
    results = [result("TCP-STREAM-001", "<t>", "fail", detail="<script>"),
               result("TCP-STREAM-001", "<t>", "not-applicable", family="ipv6")]
    data = summary.build(results, targets)
    assert data["matrix"]["TCP-STREAM-001"] == {"<t>": "fail"}
    assert data["behaviour_totals"]["<t>"]["fail"] == 1
    html = compliance_html.render(data)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "FAIL · 1/2 n/a" in html


def test_without_node_the_allure_html_is_one_note_and_the_rest_is_written(tmp_path, monkeypatch):
    from reports import allure_html, writer
    results_dir = tmp_path / "allure-results"
    results_dir.mkdir()
    (results_dir / "x-result.json").write_text("{}")
    monkeypatch.setattr(allure_html.shutil, "which", lambda name: None)
    written = writer.write_reports(tmp_path / "out", [result("TCP-STREAM-001", "t", "pass")], {"t": {}},
                                   alluredir=results_dir)
    assert [p.name for p in written.paths] == ["summary.json", "compliance.html", "junit.xml"]
    assert written.notes == ["Allure HTML not made: Node.js and npm are needed for Allure Report 3 "
                             "(Debian: apt-get install nodejs npm)"]


def test_no_allure_results_is_a_note_not_a_crash(tmp_path):
    from reports import writer
    written = writer.write_reports(tmp_path / "out", [result("TCP-STREAM-001", "t", "pass")], {"t": {}},
                                   alluredir=tmp_path / "nothing-here")
    assert written.notes and written.notes[0].startswith("Allure HTML not made: no Allure results in")


def test_the_html_shows_coverage_emulation_and_the_traces_of_passes():
    targets = {"t": {"spec": "cmd:x", "adapter": "impl"}}
    results = [{**result("UDP-DGRAM-003", "t", "pass", detail="passed (emulated by the adapter: truncated)"),
                "adapter_notes": ["udp.recvfrom: truncated emulated by the adapter"],
                "trace": "   target (t) | reference\n  udp.recvfrom → ok",
                "features": ["udp", "serve.udp"], "coverage": {"operations": ["udp.recvfrom"], "features": ["udp"]}}]
    html = compliance_html.render(summary.build(results, targets))
    assert "pass (emulated by the adapter)" in html
    assert "<details class=trace><summary>traces</summary>" in html and "udp.recvfrom → ok" in html
    assert "serve.udp" in html.split("id=coverage", 1)[1].split("</table>", 1)[0]


def test_a_library_is_shown_beside_its_neighbours():
    """Targets of one family (the language their library belongs to) get a table of the
    behaviours where their verdicts differ; a family of one, and shared verdicts, are left out."""
    targets = {"rust": {"spec": "rust", "family": "Rust"}, "tokio": {"spec": "tokio", "family": "Rust"},
               "go": {"spec": "go", "family": "Go"}}
    results = [result("TCP-STREAM-001", "rust", "pass"), result("TCP-STREAM-001", "tokio", "pass"),
               result("TCP-STREAM-002", "rust", "pass"), result("TCP-STREAM-002", "tokio", "fail"),
               result("TCP-STREAM-002", "go", "fail")]
    data = summary.build(results, targets)
    assert compliance_html.families(data, list(targets)) == {"Rust": ["rust", "tokio"]}
    html = compliance_html.render(data)
    section = html[html.index("id=families"):html.index("id=coverage")]
    assert "Rust: rust, tokio — 1 behaviour(s) differ" in section and "Go" not in section
    assert "TCP-STREAM-002" in section and "TCP-STREAM-001" not in section
    assert "<td class='grade fail' data-target='tokio'>FAIL</td>" in section


def test_the_family_comes_from_the_shipped_manifest():
    from conformance.collector import family_of
    from fixtures.target_spec import parse_target
    assert family_of(parse_target("tokio")) == "Rust" and family_of(parse_target("netty-epoll")) == "Java"
    assert family_of(parse_target("reference")) == "Python" and family_of(parse_target("cmd:./x")) is None
