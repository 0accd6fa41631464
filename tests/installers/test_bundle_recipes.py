"""The recipes this machine cannot run (the Flatpak manifest, the Inno Setup script, the hosted
CI workflow that builds the Windows, macOS and Flatpak bundles) parse, and agree with the
repository: the files, paths and names they use exist, the link handlers are declared.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ROOT / "installers"
MANIFEST = INSTALLERS / "flatpak" / "org.alexphone.Alexphone.yml"
INNO = INSTALLERS / "windows" / "alexphone.iss"
WORKFLOW = ROOT / ".github" / "workflows" / "bundles.yml"
SCHEMES = ("sip", "sips", "tel")


def _inno_sections(text: str) -> dict[str, list[str]]:
    """[Section] -> its non-comment lines, preprocessor lines left out."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        if match := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(match[1], [])
        elif current is not None:
            current.append(line)
    return sections


def _inno_entry(line: str) -> dict[str, str]:
    """``Name: "x"; Flags: a b`` -> {"Name": "x", "Flags": "a b"} (quotes doubled inside)."""
    fields = re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)', line)
    return {key: _unquote(value.strip()) for key, value in fields}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


def test_flatpak_manifest_runs_on_the_freedesktop_runtime_with_sound_and_network() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())

    assert manifest["app-id"] == MANIFEST.stem
    assert manifest["runtime"] == "org.freedesktop.Platform"
    assert manifest["sdk"] == "org.freedesktop.Sdk"
    assert manifest["command"] == "alexphone"  # the console script pyproject declares
    assert 'alexphone = "alexphone.cli:main"' in (ROOT / "pyproject.toml").read_text()
    assert {"--share=network", "--socket=pulseaudio", "--socket=wayland"} <= set(
        manifest["finish-args"]
    )
    modules = {module["name"]: module for module in manifest["modules"]}
    assert list(modules) == ["portaudio", "alexphone"]  # PyAudio builds against PortAudio
    (source,) = modules["alexphone"]["sources"]
    assert (MANIFEST.parent / source["path"]).resolve() == ROOT
    commands = "\n".join(modules["alexphone"]["build-commands"])
    assert "--prefix=/app" in commands and ".[gui]" in commands
    desktop = manifest["rename-desktop-file"]
    assert f"resources/{desktop}" in commands
    assert all(f"x-scheme-handler/{s};" in (ROOT / "resources" / desktop).read_text()
               for s in SCHEMES)  # fmt: skip
    icon = manifest["rename-icon"]
    assert re.search(rf"/apps/{icon}\.svg", commands) and re.search(rf"/apps/{icon}\.png", commands)


def test_inno_setup_script_installs_the_bundle_with_menu_handlers_and_uninstaller() -> None:
    sections = _inno_sections(INNO.read_text())
    setup = dict(line.split("=", 1) for line in sections["Setup"])

    assert re.fullmatch(r"\{\{[0-9A-F-]{36}\}", setup["AppId"])
    assert setup["PrivilegesRequired"] == "lowest" and setup["ChangesAssociations"] == "yes"
    assert (INNO.parent / setup["SetupIconFile"]).is_file()
    defines = dict(re.findall(r'#define (\w+) "([^"]*)"', INNO.read_text()))
    (files,) = (_inno_entry(line) for line in sections["Files"])
    assert files["Source"] == "{#Bundle}\\*" and "recursesubdirs" in files["Flags"]
    # build.ps1 writes the PyInstaller folder where the script takes it from.
    bundle = defines["Bundle"].replace("\\", "/")
    assert (INNO.parent / bundle).resolve() == ROOT / "dist" / "pyinstaller" / "alexphone"
    assert "--distpath dist\\pyinstaller" in (INNO.parent / "build.ps1").read_text()

    icons = [_inno_entry(line) for line in sections["Icons"]]
    menu = {"Name": "{group}\\Alexphone", "Filename": "{app}\\{#AppExe}"}
    assert menu.items() <= icons[0].items()
    assert any(icon["Filename"] == "{uninstallexe}" for icon in icons)

    registry = [_inno_entry(line) for line in sections["Registry"]]
    for scheme in SCHEMES:
        key = f"Software\\Classes\\{scheme}"
        entries = [e for e in registry if e["Subkey"].startswith(key + "\\") or e["Subkey"] == key]
        assert any(e.get("ValueName") == "URL Protocol" for e in entries), scheme
        assert any("uninsdeletekey" in e.get("Flags", "") for e in entries), scheme
        (command,) = [e for e in entries if e["Subkey"] == key + "\\shell\\open\\command"]
        assert command["ValueData"] == '"{app}\\{#AppExe}" "%1"'


def test_hosted_workflow_builds_windows_macos_and_flatpak_from_the_repo_scripts() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]

    assert set(jobs) >= {"windows", "macos", "flatpak"}
    assert jobs["windows"]["runs-on"].startswith("windows")
    assert jobs["macos"]["runs-on"].startswith("macos")
    for name, job in jobs.items():
        assert job["timeout-minutes"] <= 90, name
        text = yaml.safe_dump(job["steps"])
        for path in re.findall(r"installers[\\/][\w./\\-]+\.(?:ps1|iss|sh|yml)", text):
            assert (ROOT / path.replace("\\", "/")).is_file(), f"{name}: {path}"
    windows = yaml.safe_dump(jobs["windows"]["steps"])
    assert "build.ps1" in windows and "alexphone.iss" in windows and "unins000.exe" in windows
    assert "installers/macos/build.sh" in yaml.safe_dump(jobs["macos"]["steps"])
    builder = [s for s in jobs["flatpak"]["steps"] if "flatpak-builder" in s.get("uses", "")]
    assert builder[0]["with"]["manifest-path"] == str(MANIFEST.relative_to(ROOT))
