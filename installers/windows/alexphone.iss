; Alexphone for Windows: an Inno Setup 6 installer around the PyInstaller folder that
; installers\windows\build.ps1 makes (dist\pyinstaller\alexphone\).
;
;   powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installers\windows\alexphone.iss
;
; Result: dist\alexphone-<version>-windows-x64-setup.exe. It installs per user (no admin
; rights; "Install for all users" is offered when run as administrator), adds a Start-menu
; entry, makes Alexphone the handler of sip:, sips: and tel: links and lists it among the
; apps Windows Settings can pick for them, and registers an uninstaller (Settings > Apps)
; that removes the program, the shortcuts and those registry keys. The user's profile
; (%LOCALAPPDATA%\alexphone) is left: it holds their contacts and history.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppExe "alexphone.exe"
#define Bundle "..\..\dist\pyinstaller\alexphone"

[Setup]
AppId={{A39ECE9A-9712-48C6-A037-89FE90A4CA2D}
AppName=Alexphone
AppVersion={#AppVersion}
AppPublisher=Alexphone maintainers
AppComments=Desktop softphone that calls direct whenever any path allows
DefaultDirName={autopf}\Alexphone
DefaultGroupName=Alexphone
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=alexphone-{#AppVersion}-windows-x64-setup
SetupIconFile=alexphone.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName=Alexphone
ChangesAssociations=yes
CloseApplications=yes
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Alexphone"; Filename: "{app}\{#AppExe}"; Comment: "SIP softphone"
Name: "{group}\Uninstall Alexphone"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Alexphone"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The links: HKA is HKCU for a per-user install, HKLM for all users.
Root: HKA; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: ""; ValueData: "URL:SIP link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\sip\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Classes\sip\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\sips"; ValueType: string; ValueName: ""; ValueData: "URL:SIPS link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\sips"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\sips\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Classes\sips\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: ""; ValueData: "URL:Telephone link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\tel\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Classes\tel\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; Listed in Settings > Default apps, so the user can choose Alexphone there later.
Root: HKA; Subkey: "Software\Classes\Alexphone.Link"; ValueType: string; ValueName: ""; ValueData: "Alexphone link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Alexphone.Link\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Alexphone\Capabilities"; ValueType: string; ValueName: "ApplicationName"; ValueData: "Alexphone"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Alexphone\Capabilities"; ValueType: string; ValueName: "ApplicationDescription"; ValueData: "SIP softphone"
Root: HKA; Subkey: "Software\Alexphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "sip"; ValueData: "Alexphone.Link"
Root: HKA; Subkey: "Software\Alexphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "sips"; ValueData: "Alexphone.Link"
Root: HKA; Subkey: "Software\Alexphone\Capabilities\URLAssociations"; ValueType: string; ValueName: "tel"; ValueData: "Alexphone.Link"
Root: HKA; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "Alexphone"; ValueData: "Software\Alexphone\Capabilities"; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,Alexphone}"; Flags: nowait postinstall skipifsilent
