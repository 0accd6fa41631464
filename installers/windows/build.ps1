# Build Alexphone for Windows (x64): dist\pyinstaller\alexphone\ with alexphone.exe (the window)
# and alexphone-cli.exe (the command line), zipped as dist\alexphone-<version>-windows-x64.zip.
#
#   $env:ALEXPHONE_OPUS_LIB = "C:\vcpkg\installed\x64-windows\bin\opus.dll"
#   powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1
#
# Needs Python 3.11 x64 (the "py" launcher). PyAudio's Windows wheel has PortAudio built in.
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $Root

if (-not $env:ALEXPHONE_OPUS_LIB -or -not (Test-Path $env:ALEXPHONE_OPUS_LIB)) {
    throw "Set ALEXPHONE_OPUS_LIB to a 64-bit opus.dll (vcpkg install opus:x64-windows)"
}
if (-not (Test-Path ".venv\Scripts\python.exe")) { py -3.11 -m venv .venv }
$Python = ".venv\Scripts\python.exe"
& $Python -m pip install -q --upgrade pip
& $Python -m pip install -q ".[gui]" "pyinstaller>=6.10" pillow
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

& $Python -m PyInstaller --noconfirm --clean --distpath dist\pyinstaller `
    --workpath build\pyinstaller installers\alexphone.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

& dist\pyinstaller\alexphone\alexphone-cli.exe --help | Out-Null
if ($LASTEXITCODE -ne 0) { throw "the built alexphone-cli.exe does not start" }

$Version = & $Python -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])"
$Zip = "dist\alexphone-$Version-windows-x64.zip"
Compress-Archive -Path dist\pyinstaller\alexphone -DestinationPath $Zip -Force
Copy-Item installers\windows\register-handlers.ps1 dist\pyinstaller\alexphone\ -Force
Write-Output $Zip
