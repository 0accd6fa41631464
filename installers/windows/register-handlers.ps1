# Make Alexphone open sip:, sips: and tel: links for the current user (no admin rights needed).
# Run from the unpacked alexphone folder:  powershell -ExecutionPolicy Bypass -File register-handlers.ps1
# Undo: Remove-Item -Recurse HKCU:\Software\Classes\sip (and sips, tel).
$ErrorActionPreference = "Stop"
$Exe = Join-Path $PSScriptRoot "alexphone.exe"
if (-not (Test-Path $Exe)) { throw "alexphone.exe is not next to this script" }
foreach ($Scheme in "sip", "sips", "tel") {
    $Key = "HKCU:\Software\Classes\$Scheme"
    New-Item -Path "$Key\shell\open\command" -Force | Out-Null
    Set-ItemProperty -Path $Key -Name "(Default)" -Value "URL:$Scheme link"
    Set-ItemProperty -Path $Key -Name "URL Protocol" -Value ""
    New-Item -Path "$Key\DefaultIcon" -Force | Out-Null
    Set-ItemProperty -Path "$Key\DefaultIcon" -Name "(Default)" -Value "`"$Exe`",0"
    Set-ItemProperty -Path "$Key\shell\open\command" -Name "(Default)" -Value "`"$Exe`" `"%1`""
}
Write-Output "sip:, sips: and tel: links now open $Exe"
