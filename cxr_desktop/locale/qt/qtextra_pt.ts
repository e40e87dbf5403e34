<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Qt words that Qt's own pt translation lacks in Qt 6.11 (the file dialog's
     labels and its Type column). A DRAFT, compiled by `python -m cxr_desktop.i18n_catalog
     compile`; loaded after qtbase by ui/app.py:apply_language. -->
<TS version="2.1" language="pt">
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>&amp;Procurar em:</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>Ficheiros do &amp;tipo:</translation>
    </message>
</context>
<context>
    <name>QAbstractFileIconProvider</name>
    <message>
        <source>Folder</source>
        <translation>Pasta</translation>
    </message>
    <message>
        <source>Drive</source>
        <translation>Unidade</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>Desconhecido</translation>
    </message>
</context>
</TS>
