"""The catalogues: the same keys in every language, every key a template or page names exists,
and dates, numbers and money in each language's conventions."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.api_schema import build_api_schema
from gateway.supergraph import parse_supergraph
from portal import i18n
from portal.categories import CATEGORIES

PORTAL = Path(__file__).resolve().parents[2] / "portal"
SUPERGRAPH = PORTAL.parent / "schema" / "supergraph.graphql"
# Literal keys: t("key"...) in templates and Python, and catalogue keys named in Python strings.
_CALL = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[A-Za-z0-9_]+)+)["']""")
_KEY_IN_PYTHON = re.compile(r"""["']((?:[a-z_]+)\.(?:[a-z_]+)(?:\.[a-z_]+)*)["']""")
_FILE_SUFFIXES = {"html", "json", "graphql", "sqlite3", "css"}
# t.enum(group, value): the schema's enum values (or the portal's own names) in words.
ENUM_GROUPS = {
    "event": "LifeEventKind",
    "status": "JourneyStatus",
    "sex": "Sex",
    "income": "IncomeSource",
    "taxdecision": "TaxDecisionKind",
    "benefit": "BenefitKind",
    "benefitstatus": "BenefitStatus",
    "vehiclerole": "VehicleRole",
    "companyrole": "CompanyRoleKind",
    "consentstatus": "ConsentStatus",
    "mandatestatus": "MandateStatus",
}


def test_every_language_has_exactly_the_same_keys() -> None:
    english = set(i18n.catalogue("en"))
    for language in i18n.LANGUAGES:
        assert set(i18n.catalogue(language)) == english, language
        # The same placeholders, so no translation drops or invents a value.
        for key, text in i18n.catalogue(language).items():
            assert set(re.findall(r"{(\w+)}", text)) == set(
                re.findall(r"{(\w+)}", i18n.catalogue("en")[key])
            ), (language, key)


def test_every_key_the_templates_and_pages_name_exists() -> None:
    used = set()
    for path in [*PORTAL.glob("templates/*.html"), *PORTAL.rglob("*.py")]:
        text = path.read_text()
        used |= set(_CALL.findall(text))
        if path.suffix == ".py":
            used |= {
                key
                for key in _KEY_IN_PYTHON.findall(text)
                if key.split(".")[0] in {k.split(".")[0] for k in i18n.catalogue("en")}
                and key.rsplit(".", 1)[1] not in _FILE_SUFFIXES
            }
    assert used, "the pattern found no keys at all"
    missing = sorted(key for key in used if key not in i18n.catalogue("en"))
    assert not missing


def test_every_enum_value_of_the_schema_the_portal_shows_has_words() -> None:
    schema = build_api_schema(parse_supergraph(SUPERGRAPH.read_text()))
    catalogue = i18n.catalogue("en")
    for group, enum in ENUM_GROUPS.items():
        values = schema.type_map[enum].values  # type: ignore[attr-defined]
        missing = [v for v in values if f"{group}.{v}" not in catalogue]
        assert not missing, (group, missing)
    for category in CATEGORIES:
        assert f"category.{category.name}" in catalogue
        assert f"agency.{category.agency}" in catalogue


def test_dates_numbers_and_money_follow_the_language() -> None:
    english, finnish = i18n.Translator("en"), i18n.Translator("fi")
    assert english.date("2026-03-01") == "1 March 2026"
    assert finnish.date("2026-03-01") == "1. maaliskuuta 2026"
    assert english.money("1234.5") == "€1,234.50"
    assert finnish.money("1234.5").replace("\xa0", " ") == "1 234,50 €"
    assert english.number("22.3") == "22.3" and finnish.number("22.3") == "22,3"
    # Helsinki is UTC+2 in winter.
    assert "14.00" in finnish.datetime("2026-01-15T12:00:00Z")
    assert "14:00" in english.datetime("2026-01-15T12:00:00Z")


def test_an_unknown_language_falls_back_to_english_and_unknown_values_show_as_they_are() -> None:
    assert i18n.choose("sv", None, "fi") == "fi"
    assert i18n.choose(None, "de") == "en"
    t = i18n.Translator("xx")
    assert t.language == "en"
    assert t.enum("status", "SOMETHING_NEW") == "SOMETHING_NEW"
    assert t.date("not a date") == "not a date"
