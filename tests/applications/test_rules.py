"""The pure project-partnership checks (policy §8.2; DOMAIN §5.2) and the text similarity."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from registry.applications import rules
from registry.applications.models import ApplicantForm

ALLOWED = [ApplicantForm.ASSOCIATION, ApplicantForm.FOUNDATION, ApplicantForm.OTHER_LEGAL_ENTITY,
           ApplicantForm.EDUCATIONAL_INSTITUTION, ApplicantForm.MUNICIPALITY, ApplicantForm.JOINT_MUNICIPAL_AUTHORITY,
           ApplicantForm.PARISH, ApplicantForm.SOCIAL_ENTERPRISE]


def test_the_rule_covers_every_legal_form():
    assert set(ApplicantForm) == set(ALLOWED) | {ApplicantForm.COMPANY, ApplicantForm.PRIVATE_PERSON}
    assert rules.ALLOWED_FORMS | rules.EXCLUDED_FORMS == {f.value for f in ApplicantForm}
    assert not rules.ALLOWED_FORMS & rules.EXCLUDED_FORMS


@pytest.mark.parametrize("form", ALLOWED, ids=lambda f: f.value)
def test_allowed_legal_forms_pass(app, form):
    check = rules.applicant_eligibility(form)
    assert (check.code, check.outcome) == ("applicant_eligibility", "ok")
    assert "8.2 §" in check.rule
    assert rules.applicant_eligibility(form.value) == check  # the StrEnum and its value are the same


@pytest.mark.parametrize("form,word", [(ApplicantForm.COMPANY, "for-profit companies"),
                                       (ApplicantForm.PRIVATE_PERSON, "private persons")], ids=["company", "person"])
def test_companies_and_private_persons_fail(app, form, word):
    check = rules.applicant_eligibility(form)
    assert check.outcome == "fail" and check.rule == rules.RULE_ELIGIBILITY
    with app.test_request_context(), force_locale("en"):
        assert word in str(check.message)


def test_unknown_legal_form_needs_a_look_and_never_passes():
    assert rules.applicant_eligibility("cooperative").outcome == "attention"
    assert rules.applicant_eligibility("").outcome == "attention"


def test_the_placement_organiser_rule_is_not_mixed_in():
    # A for-profit social enterprise may organise community-service placements (Yks-asetus 26 §), which is a
    # different rule; here only the policy §8.2 rule applies: companies fail, social enterprises pass.
    assert rules.applicant_eligibility(ApplicantForm.SOCIAL_ENTERPRISE).outcome == "ok"
    assert rules.applicant_eligibility(ApplicantForm.COMPANY).outcome == "fail"
    assert not hasattr(rules, "placement_organiser_eligibility")


@pytest.mark.parametrize("count,outcome", [(0, "fail"), (1, "ok"), (2, "ok"), (12, "ok")])
def test_unit_cooperation(app, count, outcome):
    check = rules.unit_cooperation(count)
    assert (check.code, check.outcome) == ("unit_cooperation", outcome)
    assert "kriteeri 3" in check.rule
    if count:
        with app.test_request_context(), force_locale("en"):
            assert f"{count} Rise unit" in str(check.message)


def test_prison_work_needs_security_clearances(app):
    assert rules.prison_work(False).outcome == "ok"
    check = rules.prison_work(True)
    assert (check.code, check.outcome) == ("prison_work", "attention")
    assert "kriteeri 5" in check.rule
    with app.test_request_context(), force_locale("en"):
        text = str(check.message)
    assert "security clearance" in text and "organisation" in text and "staff" in text


def test_e_services_need_the_experts_position(app):
    assert rules.e_services(False).outcome == "ok"
    check = rules.e_services(True)
    assert (check.code, check.outcome) == ("e_services", "attention")
    assert "kriteeri 6" in check.rule
    with app.test_request_context(), force_locale("en"):
        text = str(check.message)
    assert all(word in text for word in ("experts", "security", "devices", "network"))


def test_need_for_the_activity():
    assert rules.need_stated("Vapautuvat tarvitsevat tukea").outcome == "ok"
    assert rules.need_stated(None).outcome == rules.need_stated("  ").outcome == "attention"


def test_every_check_has_a_known_outcome_and_a_citation():
    checks = [rules.applicant_eligibility(f) for f in ApplicantForm] + [
        rules.unit_cooperation(0), rules.unit_cooperation(3), rules.prison_work(True), rules.e_services(True),
        rules.need_stated(None)]
    for check in checks:
        assert check.outcome in rules.OUTCOMES and check.rule.startswith(rules.POLICY)


# --- similarity ---------------------------------------------------------------------------------------------------

HOUSING = "Vapautuvien vankien asumisen tuki"


def test_identical_texts_score_one():
    assert rules.similarity(HOUSING, HOUSING) == 1.0
    assert rules.similarity("Stöd för frigivna fångars boende", "STÖD FÖR FRIGIVNA FÅNGARS BOENDE") == 1.0


def test_unrelated_texts_score_about_zero():
    assert rules.similarity(HOUSING, "Kokemusasiantuntijat päihdetyössä") < 0.1
    assert rules.similarity("Stöd för frigivna fångars boende", "Digitala tjänster för unga") < 0.15


def test_empty_texts_and_stop_words_only_score_zero():
    assert rules.similarity("", "") == 0.0
    assert rules.similarity(HOUSING, "") == 0.0
    assert rules.similarity("hanke ja projekti", "hankkeen ja projektin") == 0.0


def test_finnish_inflection_stays_close():
    inflected = rules.similarity(HOUSING, "Vapautuvan vangin asuminen ja tukeminen")
    other = rules.similarity(HOUSING, "Digitaalinen oppimisympäristö vankilaopetukseen")
    assert inflected > 0.6 > 0.2 > other
    assert rules.similarity("Päihdekuntoutus vankilassa", "Päihdekuntoutusta vankiloissa") > 0.8
    assert rules.similarity("Kokemusasiantuntijoiden koulutus", "Kokemusasiantuntijakoulutus") > 0.7


def test_swedish_inflection_stays_close():
    assert rules.similarity("Stöd för frigivna fångars boende", "Stöd till frigivna fångar i boendet") > 0.8


def test_similarity_is_symmetric_deterministic_and_bounded():
    texts = [HOUSING, "Vapautuneiden vankien asumista tukeva hanke", "Läheisten tuki", "Digital inclusion of "
             "prisoners", "", "ä\u202eö <script>", "x" * 5000]
    for a in texts:
        for b in texts:
            value = rules.similarity(a, b)
            assert 0.0 <= value <= 1.0
            assert value == rules.similarity(b, a) == rules.similarity(a, b)


def test_more_shared_words_score_higher():
    one = rules.similarity(HOUSING, "Vankien harrastustoiminta")
    two = rules.similarity(HOUSING, "Vankien asumisen ohjaus")
    three = rules.similarity(HOUSING, "Vapautuvien vankien asumisen ohjaus")
    assert one < two < three < 1.0


def test_stem_and_words():
    assert rules.stem("asumisen").startswith("asum") and rules.stem("asumiseen").startswith("asum")
    assert rules.words("Hanke: vankien ja läheisten TUKI") == ["vank", "laheis", "tuki"]
    assert rules.stem("tuki") == "tuki"  # short words are kept whole
