; Inno Setup 6 script: the Windows installer of CXR Desktop (64-bit Windows 10/11).
;
; Built on Windows only (PyInstaller cannot cross-compile) by .github/workflows/release.yml:
;   pyinstaller --noconfirm build.spec -- --onedir        (-> dist\cxr-desktop-onedir\)
;   iscc /DAppVersion=0.1.0 packaging\windows\cxr-desktop.iss
; Output: dist\cxr-desktop-<version>-windows-x64-setup.exe
;
; NOT built or tested on the development machine (Linux): see docs/INSTALL.md.
;
; Installs the one-folder build under Program Files (or the user's folder when installing
; without admin rights), a Start menu entry, optionally a desktop icon and the .dcm association.
; The uninstaller removes the program folder; each user's history
; (%LOCALAPPDATA%\cxr-desktop) is kept.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef AppSource
  #define AppSource "..\..\dist\cxr-desktop-onedir"
#endif
#define AppName "CXR Desktop"
#define AppExe "cxr-desktop.exe"
#define AppProgId "CXRDesktop.dicom"

[Setup]
AppId={{8E5B7F0A-3C2D-4F7B-9A51-6C0D2E4B1A77}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=CXR Desktop project
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
OutputDir=..\..\dist
OutputBaseFilename=cxr-desktop-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\assets\icons\app.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
; Admin install for all users by default; users without admin rights can install for themselves.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ChangesAssociations=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "dicom"; Description: "Open DICOM files (.dcm) with {#AppName}"; GroupDescription: "File types:"; Flags: unchecked

[Files]
; cxr-desktop.exe (window), cxr-desktop-cli.exe (command line: predict, history, --smoke-test)
; and _internal\ (Python, Qt, onnxruntime, the model).
Source: "{#AppSource}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; "Open with" for .dcm always; the default program for .dcm only when the task is chosen.
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".dcm"; ValueData: ""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.dcm\OpenWithProgids"; ValueType: string; ValueName: "{#AppProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#AppProgId}"; ValueType: string; ValueName: ""; ValueData: "DICOM image"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#AppProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\{#AppProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.dcm"; ValueType: string; ValueName: ""; ValueData: "{#AppProgId}"; Flags: uninsdeletevalue; Tasks: dicom

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder (nothing is written there at run time); user data stays.
Type: filesandordirs; Name: "{app}"
