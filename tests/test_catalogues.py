"""The shipped translations: complete, reviewed-looking (no fuzzy entries), placeholders kept, and
the compiled .mo files made from the .po files in the repository.

When this fails after new strings landed: ``python -m cxr_desktop.i18n_catalog all`` adds them to
every catalogue and lists what a translator still has to do (docs/TRANSLATIONS.md).
"""

from __future__ import annotations

import gettext

import pytest

from cxr_desktop import i18n, i18n_catalog


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


def test_every_language_is_complete_and_compiled():
    problems = i18n_catalog.check()
    shown = "\n".join(str(p) for p in problems[:80])
    assert problems == [], (f"{len(problems)} translation problems; run `python -m "
                            f"cxr_desktop.i18n_catalog all` and translate what it lists:\n{shown}")


def test_every_shipped_language_has_a_catalogue_the_app_finds():
    assert set(i18n.available_languages()) == set(i18n.SHIPPED_LANGUAGES)


@pytest.mark.parametrize("language", i18n_catalog.translated_languages())
def test_the_app_reads_each_catalogue(language):
    assert i18n.set_language(language) == language
    assert i18n._("Not a chest X-ray.") != "Not a chest X-ray."
    plural = i18n.ngettext("{count} reading", "{count} readings", 5).format(count=5)
    assert "5" in plural or "\u09eb" in plural  # Bengali digits are allowed


def test_arabic_has_six_plural_forms_and_uses_them():
    catalog = i18n_catalog.read_catalog(i18n_catalog.po_path("ar"), "ar")
    assert catalog.num_plurals == 6
    i18n.set_language("ar")
    forms = {i18n.ngettext("{count} reading", "{count} readings", n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(forms) >= 5  # "other" and "many" may read the same for some nouns


def test_the_check_finds_each_kind_of_problem(tmp_path, monkeypatch):
    """A catalogue with an untranslated, a fuzzy and a broken message, and a stale .mo."""
    from babel.messages.catalog import Catalog

    from cxr_desktop.i18n_catalog import _message_problems

    catalog = Catalog(locale="fr")
    ok = catalog.add("Reading {id} saved.", "Lecture {id} enregistrée.")
    empty = catalog.add("Hello", "")
    fuzzy = catalog.add("Saved.", "Enregistré.", flags=["fuzzy"])
    wrong = catalog.add("File {file} read.", "Fichier {fichier} lu.")
    plural = catalog.add(("{count} file", "{count} files"), ("un fichier", "{count} fichiers"))
    lost = catalog.add(("{done} of {count}", "{done} of {count}"), ("{count}", "{count}"))
    kinds = {m.id if isinstance(m.id, str) else m.id[0]:
             [p.kind for p in _message_problems("fr", m, m, 2)]
             for m in (ok, empty, fuzzy, wrong, plural, lost)}
    assert kinds == {"Reading {id} saved.": [], "Hello": ["untranslated"], "Saved.": ["fuzzy"],
                     "File {file} read.": ["placeholders"], "{count} file": [],
                     "{done} of {count}": ["placeholders", "placeholders"]}
    assert [p.kind for p in _message_problems("fr", ok, None, 2)] == ["missing"]
    broken = catalog.add("Zoom {percent}%", "Zoom {percent %")
    assert [p.kind for p in _message_problems("fr", broken, broken, 2)] == ["format"]


def test_a_stale_mo_is_found(tmp_path, monkeypatch):
    source = i18n_catalog.po_path("fr")
    locale = tmp_path / "locale"
    target = locale / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / source.name).write_bytes(source.read_bytes())
    (target / "cxr_desktop.mo").write_bytes(b"old")
    monkeypatch.setattr(i18n_catalog, "LOCALE", locale)
    monkeypatch.setattr(i18n_catalog, "TEMPLATE", i18n_catalog.TEMPLATE)
    kinds = {p.kind for p in i18n_catalog.check(["fr"])}
    assert kinds == {"stale-mo"}
    i18n_catalog.compile_all(["fr"])
    assert i18n_catalog.check(["fr"]) == []
    assert isinstance(gettext.GNUTranslations(open(target / "cxr_desktop.mo", "rb")),
                      gettext.GNUTranslations)


def test_the_cli_follows_lang(monkeypatch, capsys):
    """The command line speaks the language of LANG/LC_MESSAGES (cli.main calls set_language)."""
    from cxr_desktop import cli

    for name in ("LANGUAGE", "LC_ALL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert cli.main(["predict", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Lire des fichiers de radiographie thoracique" in out
    assert out.startswith("utilisation :") and "afficher ce message d'aide" in out  # argparse
    assert cli.main(["predict"]) != 0
    assert "les arguments suivants sont obligatoires : FILE" in capsys.readouterr().err


def test_the_glossary_has_a_column_for_every_language():
    import csv

    path = i18n_catalog.PACKAGE.parent / "docs" / "translations" / "glossary.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == [*i18n.SHIPPED_LANGUAGES, "note"]
    assert len(rows) > 30 and all(len(r) == len(rows[0]) and all(r[:-1]) for r in rows)
