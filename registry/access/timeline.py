"""The timeline picture of an assessment: sentences, release, supervision, the waiting period and today.

Computed from a stored snapshot (the engine's input and result), so the picture of an old assessment stays what
it was. The template draws it as inline SVG and, next to it, as a table of dated events: the same facts for
screen readers and print. Every bar carries a text label; colour never carries meaning alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from ..i18n import format_date
from .labels import EFFECT_LABELS, SANCTION_LABELS

WIDTH = 800  # the SVG's user units; the picture scales with the page
LABEL_WIDTH = 240  # the column of row labels on the left
RIGHT = 785
ROW = 26
TOP = 34  # room for the label of today's line
AXIS = 30  # room below the rows for the year axis
CUSTODIAL = {"unconditional_prison", "fine_conversion_prison"}  # policy §10.3
COMMUNITY = {"community_service", "monitoring_sentence", "juvenile_punishment"}


@dataclass(frozen=True)
class Bar:
    """A period drawn as a bar (kind: prison, supervision, breach, community, waiting); `open_end` if unfinished."""

    x1: float
    x2: float
    kind: str
    open_end: bool = False


@dataclass(frozen=True)
class Marker:
    """A single day drawn as a symbol (kind: offence, anchor, eligible)."""

    x: float
    kind: str


@dataclass(frozen=True)
class Row:
    """One line of the picture: its label on the left, then bars and markers; `group` rows are headings."""

    y: float
    label: str
    group: bool = False
    bars: list[Bar] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    """A vertical line across the rows (today, eligible from) with its label."""

    x: float
    kind: str
    label: str
    label_y: float
    anchor: str  # SVG text-anchor of the label: start or end


@dataclass(frozen=True)
class Event:
    """One dated fact of the text equivalent (`on` None: not yet, e.g. a sentence still being served)."""

    on: date | None
    text: str


@dataclass(frozen=True)
class Timeline:
    """Everything the template needs to draw the picture and its text equivalent."""

    width: int
    height: float
    left: float  # where the time axis begins (right of the row labels)
    right: float
    top: float
    rows: list[Row]
    lines: list[Line]
    ticks: list[tuple[float, int]]  # (x, year) on the axis
    axis_y: float
    events: list[Event]
    summary: str

    @property
    def empty(self) -> bool:
        """No sentences: nothing to draw, the summary says why."""
        return not self.rows


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _sentence_days(sentence: dict[str, Any]) -> list[date]:
    keys = ("offence_date", "enforcement_start", "left_prison", "supervision_end", "completed")
    return [d for d in (_day(sentence.get(k)) for k in keys) if d is not None]


def _summary(result: dict[str, Any], as_of: date | None) -> str:
    start, eligible = _day(result.get("period_start")), _day(result.get("eligible_from"))
    if not result.get("waiting_rule_applies"):
        text = _("The waiting-period rule does not apply to this assessment.")
    elif start is None or eligible is None:
        text = _("The waiting period has not started: a sentence is still being served.")
    else:
        text = _("Waiting period of %(years)s years from %(start)s; eligible from %(eligible)s.",
                 years=result.get("waiting_period_years"), start=format_date(start), eligible=format_date(eligible))
    if as_of is not None:
        text += " " + _("Assessment date %(day)s.", day=format_date(as_of))
    return text


def build(inputs: dict[str, Any], result: dict[str, Any], effects: dict[int, str] | None = None) -> Timeline:
    """The timeline of one assessment snapshot; `effects` maps a sentence's position to the engine's effect."""
    as_of = _day(inputs.get("as_of"))
    sentences = [s for s in inputs.get("sentences") or [] if isinstance(s, dict) and _day(s.get("offence_date"))]
    start, eligible = _day(result.get("period_start")), _day(result.get("eligible_from"))
    summary = _summary(result, as_of)
    events: list[Event] = []
    if not sentences:
        if as_of is not None:
            events.append(Event(as_of, _("Assessment date")))
        nothing = _("No sentences are recorded.") + " " + summary
        return Timeline(WIDTH, 0, LABEL_WIDTH, RIGHT, TOP, [], [], [], 0, events, nothing)

    days = [d for s in sentences for d in _sentence_days(s)]
    days += [d for d in (as_of, start, eligible) if d is not None]
    first, last = date(min(days).year, 1, 1), date(max(days).year + 1, 1, 1)
    span = (last - first).days

    def x(day: date) -> float:
        return round(LABEL_WIDTH + (day - first).days / span * (RIGHT - LABEL_WIDTH), 1)

    today_x = x(as_of) if as_of is not None else None
    rows: list[Row] = []
    y = float(TOP)

    def add(label: str, *, group: bool = False, bars: list[Bar] | None = None,
            markers: list[Marker] | None = None) -> None:
        nonlocal y
        rows.append(Row(y, label, group, bars or [], markers or []))
        y += ROW

    for number, sentence in enumerate(sentences, start=1):
        sanction = str(sentence.get("sanction") or "")
        name = str(SANCTION_LABELS.get(sanction, sanction))
        offence = _day(sentence["offence_date"])
        enforced, left = _day(sentence.get("enforcement_start")), _day(sentence.get("left_prison"))
        supervised, completed = _day(sentence.get("supervision_end")), _day(sentence.get("completed"))
        breach = bool(sentence.get("serious_breach"))
        heading = _("Sentence %(n)d: %(sanction)s", n=number, sanction=name)
        effect = (effects or {}).get(number - 1)
        said = f" – {EFFECT_LABELS[effect]}" if effect in EFFECT_LABELS else ""
        add(heading + said, group=True)
        assert offence is not None  # sentences without an offence date were left out above
        add(_("Offence"), markers=[Marker(x(offence), "offence")])
        events.append(Event(offence, _("Sentence %(n)d (%(sanction)s): offence", n=number, sanction=name) + said))
        if sanction in CUSTODIAL:
            if enforced is not None:
                events.append(Event(enforced, _("Sentence %(n)d: imprisonment began", n=number)))
            if enforced is not None and (left is not None or today_x is not None):
                end_x = x(left) if left is not None else today_x
                assert end_x is not None
                add(_("In prison") if left is not None else _("In prison (not released)"),
                    bars=[Bar(x(enforced), end_x, "prison", open_end=left is None)])
            elif left is not None:
                add(_("Left prison"), markers=[Marker(x(left), "anchor")])
            if left is not None:
                events.append(Event(left, _("Sentence %(n)d: left prison", n=number)))
            else:
                events.append(Event(None, _("Sentence %(n)d: not yet released from prison", n=number)))
            if left is not None and supervised is not None:
                kind = "breach" if breach else "supervision"
                add(_("Supervision, serious breach") if breach else _("Supervision"),
                    bars=[Bar(x(left), x(supervised), kind)])
                events.append(Event(supervised, _("Sentence %(n)d: supervision ended", n=number)
                                    + (" – " + _("intentional or gross breach during supervision") if breach else "")))
            elif breach:
                events.append(Event(None, _("Sentence %(n)d: breach during supervision, supervision not yet ended",
                                            n=number)))
        elif sanction in COMMUNITY:
            begun = enforced or completed
            if begun is not None and (completed is not None or today_x is not None):
                end_x = x(completed) if completed is not None else today_x
                assert end_x is not None
                add(_("Community sanction") if completed is not None else _("Community sanction (ongoing)"),
                    bars=[Bar(x(begun), end_x, "community", open_end=completed is None)])
            if enforced is not None:
                events.append(Event(enforced, _("Sentence %(n)d: community sanction began", n=number)))
            events.append(Event(completed, _("Sentence %(n)d: community sanction completed", n=number)
                                if completed is not None else
                                _("Sentence %(n)d: community sanction still being served", n=number)))

    lines: list[Line] = []
    if result.get("waiting_rule_applies") and start is not None and eligible is not None:
        years = result.get("waiting_period_years")
        add(_("Waiting period (%(years)s years)", years=years),
            bars=[Bar(x(start), x(eligible), "waiting")],
            markers=[Marker(x(start), "anchor"), Marker(x(eligible), "eligible")])
        events.append(Event(start, _("The waiting period starts")))
        events.append(Event(eligible, _("Eligible from (end of the waiting period of %(years)s years)", years=years)))
    elif result.get("waiting_rule_applies"):
        add(_("Waiting period: not started"))
    axis_y = y + 4
    if eligible is not None and result.get("waiting_rule_applies"):
        ex = x(eligible)
        lines.append(Line(ex, "eligible", _("Eligible from %(day)s", day=format_date(eligible)), axis_y + AXIS + 8,
                          "end" if ex > RIGHT - 150 else "start"))
    if as_of is not None and today_x is not None:
        lines.append(Line(today_x, "today", _("Assessment date %(day)s", day=format_date(as_of)), TOP - 12,
                          "end" if today_x > RIGHT - 170 else "start"))
        events.append(Event(as_of, _("Assessment date")))
    step = max(1, round((last.year - first.year) / 12))
    ticks = [(x(date(year, 1, 1)), year) for year in range(first.year, last.year + 1, step)]
    dated = sorted((e for e in events if e.on is not None), key=lambda e: e.on or first)
    events = dated + [e for e in events if e.on is None]
    height = axis_y + AXIS + (14 if any(ln.kind == "eligible" for ln in lines) else 0)
    return Timeline(WIDTH, height, LABEL_WIDTH, RIGHT, TOP, rows, lines, ticks, axis_y, events, summary)


def for_assessment(assessment: Any) -> Timeline:
    """The timeline of a stored assessment, with each sentence's effect when the engine version still matches."""
    from . import rules

    effects: dict[int, str] | None = None
    if assessment.engine_version == rules.ENGINE_VERSION:
        try:
            traces, _anchor, _serving = rules.follow_up(rules.parse(assessment.inputs))
            effects = {t.index: t.effect for t in traces}
        except rules.InputError:
            effects = None  # an old snapshot the current parser no longer reads: draw it without effects
    return build(assessment.inputs, assessment.result, effects)
