"""Plain-language labels of the eligibility engine's codes (translated lazily; keys are the codes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

REASON_LABELS: dict[str, LazyString] = {
    "no_custodial_sentence": _l(
        "The waiting-period rule does not apply: the person has never been sentenced to unconditional "
        "imprisonment (fines, conditional sentences and community sanctions do not count)."),
    "rule_not_applicable_in_setting": _l(
        "The waiting-period rule does not apply in this setting: the work is assessed like work outside the "
        "units."),
    "still_serving": _l(
        "A sentence is still being served (no date of release, completion or end of supervision), so the "
        "waiting period cannot start yet."),
    "breach_during_supervision": _l(
        "There was an intentional or gross breach of obligations during supervised probationary freedom or "
        "parole, so the waiting period starts only when the supervision ends."),
    "earlier_offence_enforced": _l(
        "A sentence for an offence committed before the waiting period began was enforced later: the period "
        "stays the same, but the severity of the sanction must be weighed."),
    "waiting_period_running": _l(
        "The crime-free waiting period is still running: the person is eligible only from the date shown."),
    "clearance_missing": _l("No completed security clearance is on record for the assessment date."),
    "clearance_expired": _l("The security clearance is no longer valid on the assessment date."),
    "training_not_verified": _l("Training as an expert by experience has not been verified."),
    "undertaking_missing": _l("No signed confidentiality undertaking is on record."),
    "induction_missing": _l("The person has not been inducted into moving in the unit and meeting convicts."),
    "clearance_remarks": _l("The security clearance has remarks: weigh them before deciding."),
    "open_criminal_case": _l("The person has an open criminal case: weigh it before deciding."),
    "concern_reported": _l(
        "A partner has reported a concern (a suspected offence or substance problem): weigh it before deciding."),
}

REQUIREMENT_LABELS: dict[str, LazyString] = {
    "security_clearance": _l("Security clearance, valid on the assessment date"),
    "training_verified": _l("Verified training as an expert by experience"),
    "confidentiality_undertaking": _l("Signed confidentiality undertaking"),
    "inducted": _l("Induction into moving in the unit and meeting convicts"),
}

DECISION_LABELS: dict[str, LazyString] = {
    "eligible": _l("Eligible"),
    "needs_review": _l("Needs review"),
    "not_eligible": _l("Not eligible"),
}

ROLE_LABELS: dict[str, LazyString] = {
    "expert_by_experience": _l("Expert by experience"),
    "volunteer": _l("Volunteer"),
    "partner_employee": _l("Employee of a partner organisation"),
}

SETTING_LABELS: dict[str, LazyString] = {
    "in_premises": _l("In Rise premises"),
    "direct_contact": _l("Direct contact with prisoners outside the premises"),
    "remote_expert_led": _l("Remote activity led by the expert"),
    "remote_independent": _l("Supervised but more independent work with a client"),
    "remote_staff_led_group": _l("Digital group led by staff"),
    "outside_units": _l("Outside the units"),
}

SETTING_DESCRIPTIONS: dict[str, LazyString] = {
    "in_premises": _l("Works in a prison or community sanctions office, always supervised by the Rise official "
                      "present. The waiting period applies; a security clearance, a confidentiality undertaking "
                      "and an induction are required."),
    "direct_contact": _l("Has direct contact with people serving unconditional imprisonment, outside Rise "
                         "premises. The waiting period applies and a security clearance is required."),
    "remote_expert_led": _l("Leads activity with Rise clients over a remote connection such as a video call; a "
                            "Rise official present supervises it. The waiting period applies."),
    "remote_independent": _l("Works under supervision but more independently with a client. Assessed like work "
                             "in the premises: the waiting period applies."),
    "remote_staff_led_group": _l("A digital group that staff lead and attend the whole time. Assessed like work "
                                 "outside the units: the waiting period does not apply."),
    "outside_units": _l("Peer support, service development or other work outside Rise units without direct "
                        "contact with prisoners. The waiting period does not apply."),
}

CLOSE_PAIR_LABELS: dict[str, LazyString] = {
    "none": _l("No close pair work"),
    "rise_official": _l("Works closely as a pair with a Rise official"),
    "trusted_partner_employee": _l("Works closely as a pair with an employee of a trusted partner organisation"),
}

SANCTION_LABELS: dict[str, LazyString] = {
    "unconditional_prison": _l("Unconditional imprisonment"),
    "fine_conversion_prison": _l("Conversion sentence of fines served in prison"),
    "community_service": _l("Community service"),
    "monitoring_sentence": _l("Monitoring sentence"),
    "juvenile_punishment": _l("Juvenile punishment"),
    "conditional_prison": _l("Conditional imprisonment"),
    "fine": _l("Fine"),
}

CLEARANCE_RESULT_LABELS: dict[str, LazyString] = {
    "no_remarks": _l("No remarks"),
    "remarks": _l("Remarks"),
}

# What a sentence did to the start of the waiting period (rules.SentenceTrace.effect), for the timeline.
EFFECT_LABELS: dict[str, LazyString] = {
    "moved": _l("Sets the start of the waiting period"),
    "no_change": _l("Does not move the start of the waiting period"),
    "earlier_offence_enforced": _l("Earlier offence enforced later: the period stays the same"),
    "still_serving": _l("Still being served"),
    "ignored": _l("Not counted for this role (only prison sentences count)"),
}
