"""The benchmark's verdicts: the right targets for a size, and misses reported as missed."""

from __future__ import annotations

from sitegen.bench import MANGADEX_SIZE, TARGETS, table, target_for
from sitegen.site.budget import SiteSize


def test_each_size_is_held_to_its_class_of_target():
    assert target_for(5_000) is target_for(MANGADEX_SIZE) is TARGETS[0]
    assert target_for(MANGADEX_SIZE + 1) is target_for(1_000_000) is target_for(3_000_000) is TARGETS[1]
    assert TARGETS[0].site_bytes == 250_000_000 and TARGETS[1].site_bytes is None


def test_table_says_met_and_missed():
    stages = {"catalogue": 10.0, "fit lsi": 5.0, "neighbours lsi": 20.0, "render": 30.0}
    peaks = {name: 2**30 for name in stages}
    small = SiteSize(files=120, bytes=50_000_000, largest="data/catalogue.json", largest_bytes=9_000_000)
    rows = table(stages, peaks, small, TARGETS[0])
    assert rows[0].split() == ["stage", "seconds", "peak", "MiB"]
    assert any(r.startswith("models: fit + neighbours") and "25.0" in r for r in rows)
    whole = next(r for r in rows if r.startswith("whole build"))
    assert "65.0" in whole and whole.count("met") == 2
    site = rows[-1]
    assert "120 files" in site and "50.0 MB" in site and "data/catalogue.json (9.0 MB)" in site and "MISSED" not in site
    slow = table({"neighbours lsi": 400.0}, {"neighbours lsi": 5 * 2**30},
                 SiteSize(6_000, 300_000_000, "x", 1), TARGETS[0])
    assert next(r for r in slow if r.startswith("whole build")).count("MISSED") == 2
    assert slow[-1].count("MISSED") == 2
    assert "target" not in table(stages, peaks, small, TARGETS[1])[-1]  # a million manga: not for Pages
    beside = table(stages, peaks, small, TARGETS[0], {"maps (alongside render)": 50.0})
    assert "  maps (alongside render) 50.0 s" in beside
    assert "65.0" in next(r for r in beside if r.startswith("whole build"))  # overlapping seconds not added


def test_the_builds_wall_time_is_what_the_target_judges():
    """The stages' sum leaves out the work between them: a build whose stages sum to under the
    target but whose wall time is over it has missed it, and the table shows the gap."""
    stages = {"catalogue": 100.0, "neighbours lsi": 195.0}
    peaks = {name: 2**30 for name in stages}
    small = SiteSize(files=120, bytes=50_000_000, largest="data/catalogue.json", largest_bytes=9_000_000)
    rows = table(stages, peaks, small, TARGETS[0], wall=304.5)
    whole = next(r for r in rows if r.startswith("whole build"))
    assert "304.5" in whole and "300 s: MISSED" in whole
    assert next(r for r in rows if r.startswith("between the stages")).split()[-1] == "9.5"
    assert "300 s: met" in next(r for r in table(stages, peaks, small, TARGETS[0]) if r.startswith("whole build"))


def test_the_demo_is_written_as_a_snapshot_before_the_build(tmp_path, capsys):
    from sitegen.bench import demo_snapshot
    from sitegen.sources.catalogue import load_catalogue

    path = demo_snapshot(40, 3, tmp_path / "catalogue.jsonl.gz")
    catalogue, report = load_catalogue(path)
    assert len(catalogue) == 40 and not report.skipped
    assert "40 synthetic manga written as a snapshot file" in capsys.readouterr().out


def test_a_snapshot_written_before_is_built_without_writing_another(tmp_path, capsys):
    from sitegen.bench import demo_snapshot, main

    path = demo_snapshot(60, 5, tmp_path / "kept.jsonl.gz")
    capsys.readouterr()
    assert main(["--size", "60", "--seed", "5", "--snapshot", str(path), "--models", "lsi", "--no-reader",
                 "--out", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out
    assert "demo catalogue" not in out  # none written
    assert "benchmark: 60 synthetic manga, 1 models, seed 5" in out
    assert (tmp_path / "site" / "index.html").is_file()


def test_peak_memory_counts_child_processes():
    # the site's text helper runs in a process of its own: its memory is the build's too
    import subprocess
    import sys
    import time

    from sitegen.build import resident_bytes

    alone = resident_bytes()
    child = subprocess.Popen([sys.executable, "-c", "import sys; b = b'x' * (300 * 2**20); "
                              "print('ready', flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert resident_bytes() - alone > 250 * 2**20
    finally:
        child.communicate("")
    time.sleep(0.1)
    assert resident_bytes() - alone < 100 * 2**20


def test_peak_memory_leaves_out_a_child_that_has_not_yet_run_its_own_program():
    # between fork and exec a child shows the build's memory as its own: counting it then would
    # count the build twice
    import os
    import time

    from sitegen.build import resident_bytes

    held = b"x" * (300 * 2**20)
    alone = resident_bytes()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child, as it is before exec
        time.sleep(5)
        os._exit(0)
    try:
        time.sleep(0.2)
        with open(f"/proc/{pid}/statm") as fh:
            assert int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") > 250 * 2**20  # it does show it
        assert resident_bytes() - alone < 100 * 2**20
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert len(held) == 300 * 2**20


def test_a_stage_peak_counts_a_child_started_during_the_stage():
    # the sampler lists the children again every quarter second, not at every sample: a helper
    # started mid-stage is still counted, and one given no list is not
    import subprocess
    import sys
    import time

    from sitegen.build import Timings, resident_bytes

    timings = Timings()
    alone = resident_bytes()
    with timings.stage("with a helper"):
        time.sleep(0.1)  # the sampler's first list made before the helper starts
        child = subprocess.Popen([sys.executable, "-c", "import sys; b = b'x' * (300 * 2**20); "
                                  "print('ready', flush=True); sys.stdin.read()"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            assert resident_bytes(children=[]) - alone < 100 * 2**20
            time.sleep(0.6)
        finally:
            child.communicate("")
    assert timings.peaks["with a helper"] - alone > 250 * 2**20
