<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Qt words that Qt's own fr translation lacks in Qt 6.11 (the file dialog's
     labels and its Type column). A DRAFT, compiled by `python -m cxr_desktop.i18n_catalog
     compile`; loaded after qtbase by ui/app.py:apply_language. -->
<TS version="2.1" language="fr">
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>&amp;Voir dans :</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>Fichiers de &amp;type :</translation>
    </message>
</context>
<context>
    <name>QAbstractFileIconProvider</name>
    <message>
        <source>Folder</source>
        <translation>Dossier</translation>
    </message>
    <message>
        <source>Drive</source>
        <translation>Disque</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>Inconnu</translation>
    </message>
</context>
</TS>
