"""The package a user installs by name (`uvx cargoshipper`, `pipx run cargoshipper`, `pip install
cargoshipper`) and the MCP registry entry that points at it (`server.json`).

The wheel is built from this tree the way an installer builds it (PEP 517, hatchling), offline:
`--no-build-isolation` uses the hatchling the dev extras install (about 3 s). Without hatchling
the wheel tests skip and say so; the server.json tests need no build.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest

import cargoshipper
from cargoshipper import config
from cargoshipper.cli import main

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME, VERSION = PROJECT["name"], PROJECT["version"]
SERVER = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
# read at run time: api_search/api_call, the policy, and the sandbox's generic store
DATA_FILES = (
    "cargoshipper/operations/operations.json",
    "cargoshipper/trust/operation_classes.json",
    "cargoshipper/sandbox/spec_index.json",
)
# offline: the hatchling installed here builds it, and nothing is fetched
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index")
PIP_WHEEL += ("--no-build-isolation",)
# the complete, unmodified Apache License 2.0 text (byte for byte as spec/LICENSE, DigitalOcean's)
APACHE_2_SHA256 = "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    pytest.importorskip(
        "hatchling",
        reason="the build backend hatchling is not installed (the dev extras bring it: "
        "./scripts/setup)",
    )
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, f"pip wheel failed:\n{build.stdout}\n{build.stderr}"
    [path] = out.glob("*.whl")
    assert path.name == f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path) as zf:
        yield zf


@pytest.fixture(scope="module")
def metadata(wheel: zipfile.ZipFile) -> Message:
    return HeaderParser().parsestr(wheel.read(f"{DIST_INFO}/METADATA").decode("utf-8"))


def test_the_distribution_is_named_like_its_command(wheel: zipfile.ZipFile, metadata: Message):
    # `uvx NAME` and `pipx run NAME` run the console script called NAME
    assert metadata["Name"] == NAME == "cargoshipper"
    assert metadata["Version"] == VERSION == cargoshipper.__version__
    entry_points = wheel.read(f"{DIST_INFO}/entry_points.txt").decode("utf-8")
    assert f"{NAME} = cargoshipper.cli:main" in entry_points.splitlines()
    assert metadata["Requires-Python"] == ">=3.11"
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL"))
    assert {"Homepage", "Repository", "Issues"} <= urls.keys()
    assert SERVER["repository"]["url"] == urls["Repository"]


def test_the_license_is_the_apache_2_text_and_ships(wheel: zipfile.ZipFile, metadata: Message):
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_SHA256, "LICENSE is not the Apache-2.0 text"
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert wheel.read(f"{DIST_INFO}/licenses/LICENSE") == text


def test_the_readme_is_the_description_and_proves_registry_ownership(metadata: Message):
    # the MCP registry accepts server.json only if the PyPI description carries this line
    assert metadata["Description-Content-Type"] == "text/markdown"
    description = metadata.get_payload()
    assert f"mcp-name: {SERVER['name']}" in description
    assert f"uvx {NAME}" in description


def test_the_data_files_read_at_run_time_are_inside(wheel: zipfile.ZipFile):
    for name in DATA_FILES:
        assert wheel.read(name) == (ROOT / "src" / name).read_bytes(), name
        json.loads(wheel.read(name))


def test_every_source_file_is_inside_and_nothing_else(wheel: zipfile.ZipFile):
    source = {
        path.relative_to(ROOT / "src").as_posix()
        for path in (ROOT / "src" / "cargoshipper").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    names = set(wheel.namelist())
    packaged = {name for name in names if not name.startswith(f"{DIST_INFO}/")}
    assert source - packaged == set(), "files missing from the wheel"
    assert packaged - source == set(), "files in the wheel that are not in src/cargoshipper"
    # no tests, benchmarks, scripts or the 3 MB spec (the sandbox reads only spec_index.json)
    assert not [n for n in names if re.search(r"(^|/)(tests?|bench|scripts|spec)/|conftest", n)]


def test_server_json_points_at_this_package():
    assert SERVER["$schema"].startswith("https://static.modelcontextprotocol.io/schemas/")
    assert SERVER["$schema"].endswith("/server.schema.json")
    # the registry's rules: reverse-DNS name with one slash, description of 1 to 100 characters
    assert re.fullmatch(r"io\.github\.[A-Za-z0-9-]+/[a-zA-Z0-9._-]+", SERVER["name"])
    assert 1 <= len(SERVER["description"]) <= 100
    assert SERVER["version"] == VERSION
    [package] = SERVER["packages"]
    assert package["registryType"] == "pypi"
    assert package["registryBaseUrl"] == "https://pypi.org"
    assert package["identifier"] == NAME
    assert package["version"] == VERSION
    assert package["transport"] == {"type": "stdio"}
    assert [arg.get("value") for arg in package["packageArguments"]] == ["serve"]


def test_server_json_names_variables_the_server_reads(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--help"])
    assert exit_.value.code == 0
    serve_help = capsys.readouterr().out
    [package] = SERVER["packages"]
    variables = {v["name"]: v for v in package["environmentVariables"]}
    token = variables.pop(config.TOKEN_VARIABLES[0])
    assert token["isSecret"] is True
    # `serve` stops at once without a token; only `serve --sandbox` runs without one
    assert token["isRequired"] is True
    assert variables.pop(config.API_URL_VARIABLE).get("isSecret", False) is False
    for name, variable in variables.items():
        # each CARGOSHIPPER_<NAME> is the default of the serve flag --<name>
        assert name.startswith("CARGOSHIPPER_"), name
        flag = "--" + name.removeprefix("CARGOSHIPPER_").lower().replace("_", "-")
        assert re.search(rf"{flag}\b", serve_help), f"{name}: serve has no {flag}"
        assert variable.get("isSecret", False) is False
        assert variable.get("isRequired", False) is False
