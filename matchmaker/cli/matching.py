"""Matching commands: build the indexes, run the batch, show one record's ranked matches."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..encoders import counting
from ..errors import MatchmakerError
from ..extensions import db
from ..labels import engine_label
from ..reasons import listing
from ..records import Need, Patent
from .language import command, option
from .output import CommandError


@command("build-index")
@option("--workers", type=click.IntRange(0, 64), default=None,
        help="Processes that encode the documents; 0: one per core (default: BATCH_WORKERS).")
@with_appcontext
def build_index_command(workers: int | None) -> None:
    """Rebuild every index collection (dense and BM25, patents and needs) from the database."""
    from ..services.matching import rebuild_indexes

    try:
        report = rebuild_indexes(progress=True, workers=workers)
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    sides = {"patents": _("patents"), "needs": _("needs")}
    for side in ("patents", "needs"):
        click.echo(_("%(side)s: %(n)d indexed in %(seconds)s s", side=sides[side],
                     n=report[side]["count"], seconds=report[side]["seconds"]))
    click.echo(_("encoders: %(names)s", names=", ".join(report["encoders"]) or _("(none)"))
               + " + bm25")
    counting.echo_summary()


@command("compact-index")
@with_appcontext
def compact_index_command() -> None:
    """Fold the change logs of every index collection into new base files."""
    from ..services.matching import compact_indexes

    try:
        folded = compact_indexes()
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    for name, changes in folded.items():
        click.echo(_("%(name)s: %(n)d changes folded", name=name, n=changes))


@command("match")
@option("--top-k", type=click.IntRange(1, 200), default=None,
              help="Candidates per record (default: MATCH_TOP_K).")
@option("--workers", type=click.IntRange(0, 64), default=None,
        help="Processes that rank the records; 0: one per core (default: BATCH_WORKERS).")
@with_appcontext
def match_command(top_k: int | None, workers: int | None) -> None:
    """Match every open need and every dormant patent; store candidates for review."""
    from ..services.matching import run_batch_matching

    try:
        report = run_batch_matching(top_k=top_k, progress=True, workers=workers)
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    from ..services.maintenance import analyze

    analyze()  # the batch changes the matches table's size: fresh statistics for the queue
    click.echo(_("needs %(needs)s, dormant patents %(patents)s: %(created)s new candidates, "
                 "%(refreshed)s refreshed in %(seconds)s s", **{
                     k: report[k] for k in ("needs", "patents", "created", "refreshed", "seconds")}))

    counting.echo_summary()  # "every document encoded once", for benchmarks


@command("recalibrate")
@option("--batch", type=click.IntRange(1, 10_000), default=100,
              help="Records scored per commit (default 100).")
@with_appcontext
def recalibrate_command(batch: int) -> None:
    """Recompute every stored pair's calibrated score with the current calibration model
    (after refitting ``calibration_default.json`` or changing CALIBRATION_FILE)."""
    from ..services.recalibrate import recalibrate

    try:
        report = recalibrate(batch=batch, progress=True)
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    click.echo(_("%(pairs)s pairs of %(records)s records rescored, %(changed)s changed; "
                 "%(missing)s skipped (record gone)", **{
                     k: report[k] for k in ("pairs", "records", "changed", "missing")}))


def _rule_label(rule: dict) -> str:
    """A rule's label as the pair page shows it (the engine stores English msgids)."""
    return engine_label(rule.get("label")) or rule["rule"]


def _show(candidates, title: str, other: str, *, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([c.__dict__ for c in candidates], ensure_ascii=False, indent=2))
        return
    click.echo(title)
    if not candidates:
        click.echo("  " + _("(no candidates)"))
        return
    heads = {"patent": _("patent"), "need": _("need")}
    click.echo(f"{_('rank'):>4}  {heads[other]:>8}  {_('score'):>6}  {_('fused'):>6}  "
               + _("channels"))
    for c in candidates:
        channels = "  ".join(
            f"{name}#{info['rank']}" if info.get("rank") else f"{name}:-"
            for name, info in c.channel_scores.items()
        )
        target = c.patent_id if other == "patent" else c.need_id
        click.echo(f"{c.rank:>4}  {target:>8}  {c.score:6.3f}  "
                   f"{c.explanation.get('fused', 0):6.3f}  {channels}")
        rules = listing(f"{_rule_label(r)} {r['delta']:+.2f}" for r in c.explanation.get("rules", []))
        if rules:
            click.echo(f"{'':16}" + _("rules: %(rules)s", rules=rules))
        terms = listing(c.explanation.get("shared_terms", []))
        if terms:
            click.echo(f"{'':16}" + _("shared terms: %(terms)s", terms=terms))
        for sentence in c.explanation.get("closest_sentences", [])[:2]:
            click.echo(f"{'':16}[{sentence['source']} {sentence['score']:.2f}] "
                       f"{sentence['text'][:80]}")


@command("match-need")
@click.argument("need_id", type=int)
@option("--top-k", type=click.IntRange(1, 200), default=10)
@option("--json", "as_json", is_flag=True, help="Print the candidates as JSON.")
@with_appcontext
def match_need_command(need_id: int, top_k: int, as_json: bool) -> None:
    """Show the ranked patents for one need, with explanations (stores nothing)."""
    from ..services.matching import match_need

    need = db.session.get(Need, need_id)
    if need is None:
        raise CommandError(_("need %(id)d does not exist", id=need_id))
    try:
        candidates = match_need(need, top_k)
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    _show(candidates, _("need %(id)d: %(title)s", id=need.id, title=need.title), "patent",
          as_json=as_json)


@command("match-patent")
@click.argument("patent_id", type=int)
@option("--top-k", type=click.IntRange(1, 200), default=10)
@option("--json", "as_json", is_flag=True, help="Print the candidates as JSON.")
@with_appcontext
def match_patent_command(patent_id: int, top_k: int, as_json: bool) -> None:
    """Show the ranked open needs for one patent, with explanations (stores nothing)."""
    from ..services.matching import match_patent

    patent = db.session.get(Patent, patent_id)
    if patent is None:
        raise CommandError(_("patent %(id)d does not exist", id=patent_id))
    try:
        candidates = match_patent(patent, top_k)
    except MatchmakerError as exc:
        raise CommandError(str(exc)) from exc
    _show(candidates, _("patent %(number)s: %(title)s", number=patent.publication_number,
                        title=patent.title), "need", as_json=as_json)


COMMANDS = [build_index_command, compact_index_command, match_command, match_need_command,
            match_patent_command, recalibrate_command]
