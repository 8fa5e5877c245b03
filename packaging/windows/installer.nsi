; Vigogne Desktop's Windows installer: a per-user install (no administrator) of the folder
; PyInstaller built, with a Start menu entry and an entry in Settings › Apps, in French or
; English (the system's language picks). build_windows.py runs it; by hand:
;   makensis /DSOURCE_DIR=dist\vigogne-desktop /DAPP_VERSION=0.1.0 packaging\windows\installer.nsi
; Optional: /DOUTFILE=path\setup.exe, /DVARIANT=cuda (a word in the title),
; /DSIGN_COMMAND="command" (run on the installer and the uninstaller with the file as %1).
; This file is UTF-8 with a byte order mark: makensis reads the accents right without options.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef SOURCE_DIR
  !error "Say where the PyInstaller folder is: makensis /DSOURCE_DIR=dist\vigogne-desktop ..."
!endif
!ifndef APP_VERSION
  !error "Say the version: makensis /DAPP_VERSION=0.1.0 ..."
!endif
!ifndef VERSION_QUAD
  !define VERSION_QUAD "${APP_VERSION}.0"
!endif
!ifndef OUTFILE
  !define OUTFILE "Vigogne-Desktop-${APP_VERSION}-windows-x64-setup.exe"
!endif

!define APP_NAME "Vigogne Desktop"
!define PUBLISHER "Vigogne Desktop developers"
!define MAIN_EXE "vigogne-desktop.exe"
!define CONVERT_EXE "vigogne-convert.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\VigogneDesktop"
!define APP_PATHS "Software\Microsoft\Windows\CurrentVersion\App Paths"

; A folder without both programs is not a bundle: stop here, not on a user's machine.
!if /FileExists "${SOURCE_DIR}\${MAIN_EXE}"
!else
  !error "${SOURCE_DIR}\${MAIN_EXE} is missing: build the bundle first."
!endif
!if /FileExists "${SOURCE_DIR}\${CONVERT_EXE}"
!else
  !error "${SOURCE_DIR}\${CONVERT_EXE} is missing: build the bundle first."
!endif

!ifdef VARIANT
  Name "${APP_NAME} (${VARIANT})"
!else
  Name "${APP_NAME}"
!endif
OutFile "${OUTFILE}"
; Per user, like other apps installed without administrator rights; an update goes where
; the last install went.
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"

!ifdef SIGN_COMMAND
  !finalize `${SIGN_COMMAND} "%1"` = 0
  !uninstfinalize `${SIGN_COMMAND} "%1"` = 0
!endif

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "WinVer.nsh"
!include "x64.nsh"

!define MUI_ABORTWARNING
; The app's icon (packaging/icons.py writes it from resources/icons/vigogne.svg).
!define MUI_ICON "${__FILEDIR__}\vigogne.ico"
!define MUI_UNICON "${__FILEDIR__}\vigogne.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${MAIN_EXE}"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; French first: it is the language used when the system's is neither.
!insertmacro MUI_LANGUAGE "French"
!insertmacro MUI_LANGUAGE "English"

LangString ShortcutComment ${LANG_FRENCH} "Discutez hors ligne avec les modèles Vigogne"
LangString ShortcutComment ${LANG_ENGLISH} "Chat offline with the Vigogne models"
LangString NeedsWindows10 ${LANG_FRENCH} "Vigogne Desktop demande Windows 10 (version 1809) ou plus récent en 64 bits : mettez Windows à jour puis relancez l'installation."
LangString NeedsWindows10 ${LANG_ENGLISH} "Vigogne Desktop needs 64-bit Windows 10 (version 1809) or newer: update Windows, then run the installer again."
LangString NotOurFolder ${LANG_FRENCH} "Ce dossier ne contient pas Vigogne Desktop, rien n'a été supprimé : lancez le programme de désinstallation depuis le dossier d'installation."
LangString NotOurFolder ${LANG_ENGLISH} "This folder does not hold Vigogne Desktop, so nothing was removed: run the uninstaller from the install folder."

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP_NAME} installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "Apache-2.0"
VIAddVersionKey /LANG=${LANG_FRENCH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_FRENCH} "ProductVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=${LANG_FRENCH} "FileVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=${LANG_FRENCH} "FileDescription" "Installation de ${APP_NAME}"
VIAddVersionKey /LANG=${LANG_FRENCH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_FRENCH} "LegalCopyright" "Apache-2.0"

Function .onInit
  ; PySide6 6.11 needs Windows 10 1809 (build 17763); the bundle is 64-bit.
  ${IfNot} ${RunningX64}
  ${OrIfNot} ${AtLeastBuild} 17763
    MessageBox MB_ICONSTOP "$(NeedsWindows10)" /SD IDOK
    Abort
  ${EndIf}
FunctionEnd

Section "${APP_NAME}" SectionApp
  SectionIn RO
  SetShellVarContext current
  ; An update replaces the bundle whole: no file of the old version may linger beside the new.
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${SOURCE_DIR}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${MAIN_EXE}" "" \
    "$INSTDIR\${MAIN_EXE}" 0 SW_SHOWNORMAL "" "$(ShortcutComment)"
  ; App Paths (per user) let Win+R and other programs start both executables by name,
  ; without rewriting the user's PATH.
  WriteRegStr HKCU "${APP_PATHS}\${MAIN_EXE}" "" "$INSTDIR\${MAIN_EXE}"
  WriteRegStr HKCU "${APP_PATHS}\${CONVERT_EXE}" "" "$INSTDIR\${CONVERT_EXE}"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${APP_VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${MAIN_EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  ; The uninstaller removes only what the installer put there, and only from a folder that
  ; holds the app: a user who chose an existing folder keeps everything else in it.
  ${IfNot} ${FileExists} "$INSTDIR\${MAIN_EXE}"
    MessageBox MB_ICONSTOP "$(NotOurFolder)" /SD IDOK
    Abort
  ${EndIf}
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${MAIN_EXE}"
  Delete "$INSTDIR\${CONVERT_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${APP_PATHS}\${MAIN_EXE}"
  DeleteRegKey HKCU "${APP_PATHS}\${CONVERT_EXE}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  ; Conversations, settings and models stay: they are the user's, under %LOCALAPPDATA%.
SectionEnd
