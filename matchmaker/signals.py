"""Domain signals: services announce what happened; subscribers (alerts, ...) react.

Senders pass the id of the record after the change is committed, so a subscriber never sees
uncommitted data and a failing subscriber never undoes the change.
"""

from blinker import Namespace

_signals = Namespace()

#: sent with ``need_id`` after an enterprise (or broker) posts a new need
need_posted = _signals.signal("need-posted")
#: sent with ``patent_id`` after a new patent is listed (form or import)
patent_listed = _signals.signal("patent-listed")
#: sent with ``patent_ids`` (``need_ids``) after several patents were listed (needs posted)
#: at once, by an import: alerts tell each recipient once about all of them;
#: ``patent_listed`` (``need_posted``) still comes for each, with ``together=True``
patents_listed = _signals.signal("patents-listed")
needs_posted = _signals.signal("needs-posted")
#: sent with ``match_id``, ``from_status``, ``to_status``, ``actor_id``, ``need_id``,
#: ``need_status_changed`` (the move matched or reopened the need) and ``restored`` (an undone
#: rejection put the pair back at a stage it had: nobody is told of it as news) after a
#: pipeline move
match_moved = _signals.signal("match-moved")
#: sent once with ``match_ids`` after the ``match_moved`` signals of one committed action (a
#: move with the pairs its patent- or need-level rejection closed, or a bulk action): what asks
#: the database about all decisions at once listens here, not once per pair
moves_committed = _signals.signal("moves-committed")
#: sent with ``job_id`` and ``actor_id`` after an import job finished (ok or failed)
import_finished = _signals.signal("import-finished")
#: sent with ``side`` ("patents" or "needs") when a request found that side's index unusable;
#: a background job rebuilds it (requests never do)
index_rebuild_requested = _signals.signal("index-rebuild-requested")
#: sent with ``side`` after a save left that side's change logs due for compaction
#: (``MatchingService.compaction_due``); a background job folds them (requests never do)
index_compaction_due = _signals.signal("index-compaction-due")
