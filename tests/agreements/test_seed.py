"""Agreement reference data: the counterpart kinds, legal bases and the national agreements of policy §7.4 with
their statuses, parties and diary numbers, loaded idempotently by `registry seed`."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.agreements.models import (
    Agreement,
    AgreementLevel,
    AgreementStatus,
    CounterpartKind,
    LegalBasis,
    RenewalType,
)
from registry.directory.models import Partner, PartnerCategory, PartnerLevel
from registry.extensions import db


def _seed(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return result.output


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _by_name(name):
    return db.session.scalar(select(Agreement).where(Agreement.name_fi == name))


def test_seed_loads_the_policy_list_with_its_statuses(app):
    output = _seed(app)
    assert "national agreements added 18" in output
    with app.app_context():
        agreements = db.session.scalars(select(Agreement)).all()
        assert len(agreements) == 18 and all(a.level is AgreementLevel.NATIONAL for a in agreements)
        statuses = {a.name_fi: a.status for a in agreements}
        in_force = {n for n, s in statuses.items() if s is AgreementStatus.IN_FORCE}
        assert {"Suomen Punainen Risti", "Kris-järjestö", "Poliisihallitus ja Poliisiammattikorkeakoulu",
                "Kelan ja Rikosseuraamuslaitoksen valtakunnallinen yhteistyömalli",
                "Maahanmuuttoviraston ja Rikosseuraamuslaitoksen yhteistyösopimus"} <= in_force
        assert statuses["Työ- ja elinkeinohallinnon yhteistyölinjaukset"] is AgreementStatus.IN_PREPARATION
        for planned in ("Lastensuojelu", "Puolustusvoimat", "Päihde- ja mielenterveyspalvelut",
                        "Talouden ja velan hoito", "Merkittävimmät kolmannen sektorin toimijat",
                        "Keskusrikospoliisi: sopimus yhdyshenkilöiden sijoittamisesta",
                        "Verkostokehittäjät-yhteistyösopimus asunnottomuuden vähentämisestä"):
            assert statuses[planned] is AgreementStatus.PLANNED, planned
        assert len(in_force) == 8  # the seven "valmis" rows and the Rise–VTH service description they mention
        assert sum(s is AgreementStatus.IN_PREPARATION for s in statuses.values()) == 1

        kela = _by_name("Kelan ja Rikosseuraamuslaitoksen valtakunnallinen yhteistyömalli")
        assert kela.dnro == "32/021/2021" and kela.owner_unit.code == "RISE-ASPR"
        assert [p.name_fi for p in kela.parties] == ["Kansaneläkelaitos (Kela)"]
        assert [(t.from_status, t.to_status) for t in kela.transitions] == [(None, AgreementStatus.IN_FORCE)]
        thl = _by_name("Terveyden ja hyvinvoinnin laitoksen, Vankiterveydenhuollon yksikön ja "
                       "Rikosseuraamuslaitoksen yhteistyösopimus")
        assert "2/453/2021" in thl.notes and len(thl.parties) == 2
        assert {b.code for b in thl.legal_bases} == {"VankL 1:4.1", "VankL 2:10.1"}
        okm = _by_name("Ammatillisen koulutuksen yhteistyö: opetus- ja kulttuuriministeriö ja Opetushallitus")
        assert okm.dnro == "2/520/2019" and "2/520/2019" in okm.notes
        krp = _by_name("Keskusrikospoliisi: sopimus yhdyshenkilöiden sijoittamisesta")
        assert krp.review_interval_months == 24 and krp.renewal_type is RenewalType.BY_DECISION
        homelessness = _by_name("Verkostokehittäjät-yhteistyösopimus asunnottomuuden vähentämisestä")
        assert {p.name_fi for p in homelessness.parties} >= {"Y-Säätiö sr", "Sininauhasäätiö sr", "Pelastusarmeija"}
        assert {a.owner_unit.code for a in agreements} <= {"RISE-OPER", "RISE-ASPR", "RISE-KEOH"}


def test_seed_matches_existing_partners_by_name_and_is_idempotent(app, make_partner):
    existing = make_partner("kansaneläkelaitos (KELA)", category=PartnerCategory.STATE_AUTHORITY,
                            level=PartnerLevel.NATIONAL)
    _seed(app)
    with app.app_context():
        counts = (_count(Agreement), _count(Partner), _count(CounterpartKind), _count(LegalBasis))
        kela = _by_name("Kelan ja Rikosseuraamuslaitoksen valtakunnallinen yhteistyömalli")
        assert [p.id for p in kela.parties] == [existing]
        spr = db.session.scalar(select(Partner).where(Partner.name_fi == "Suomen Punainen Risti"))
        assert (spr.category, spr.level) == (PartnerCategory.ASSOCIATION, PartnerLevel.NATIONAL)
        kela.name_fi = kela.name_fi  # untouched rows stay; an edited one is kept as edited
        _by_name("Lastensuojelu").status = AgreementStatus.IN_PREPARATION
        db.session.commit()
    output = _seed(app)
    assert "national agreements added 0" in output and "partners added 0" in output
    with app.app_context():
        assert (_count(Agreement), _count(Partner), _count(CounterpartKind), _count(LegalBasis)) == counts
        assert _by_name("Lastensuojelu").status is AgreementStatus.IN_PREPARATION


def test_counterpart_kinds_and_legal_bases(app, reference):
    with app.app_context():
        kinds = db.session.scalars(select(CounterpartKind).order_by(CounterpartKind.position)).all()
        assert [k.code for k in kinds] == ["kela_district", "social_welfare", "employment", "police",
                                           "prison_education", "debt_enforcement"]
        assert {k.code for k in kinds if k.per_region} == {"social_welfare", "employment"}
        assert all(k.name_fi and k.name_sv and k.name_en for k in kinds)
        assert kinds[0].name("sv") == "FPA:s försäkringsdistrikt"
        bases = {b.code: b for b in db.session.scalars(select(LegalBasis))}
        for code in ("VankL 8:8", "VankL 8:9", "VankL 8:10", "VankA 20", "VankA 21", "YKS-laki 12", "SHL 36",
                     "Yks-asetus 26", "JulkL 28", "TutkintaVankL 9:13", "VKV-laki 9.2", "YR-laki 8.4", "Poliisilaki"):
            assert code in bases, code
        assert bases["VankL 8:10"].statute_fi.startswith("Vankeuslaki") and bases["VankL 8:10"].section == "8 luku 10 §"
        assert all(b.statute_sv and b.statute_en for b in bases.values())
        # The reference tables alone create no agreements or partners (tests and fresh directories rely on it).
        assert _count(Agreement) == 0 and _count(Partner) == 0
