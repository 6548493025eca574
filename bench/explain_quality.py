"""How readable the explanations are on a database (the demo): issue 9 point 6, issue 10 point 5.

    MATCHMAKER_DATABASE_URL=... MATCHMAKER_INDEX_DIR=... MATCHMAKER_ENCODER_THREADS=1 \\
        .venv/bin/python bench/explain_quality.py [--needs 56] [--pair-pages 3]

Every open need is matched again (top 10, with explanations, as the batch stores them) and the
pair page's closest sentences are computed for its first ``--pair-pages`` candidates. Printed:

- shared-term lists holding a function word or a fragment, and those terms' share of all terms.
  A function word: one of the issue's examples (属于, 方案, 不能), a word of the stop lists,
  an English stop word (scikit-learn's list), or a word jieba's dictionary tags as a function
  class (adverb, preposition, conjunction, particle, pronoun, numeral, classifier, locative)
  or as a verb/adjective used more than 2,500 times (a noun more than 5,000) in its corpus.
  A fragment: a Chinese term that is no dictionary word (an HMM guess such as 联与) or that
  never stands on word boundaries in one of the two texts the engine reads (their BM25 text:
  title, abstract, first claim, IPC descriptions, field; jieba's precise cut without HMM,
  and the clean split of a long word into dictionary words: 流电 inside 交流电 does not).
- closest sentences restating the title: after the boilerplate opener (本发明公开了一种, The
  present invention relates to) at least 60 % of the rest is the title's (character bigrams,
  English words), or the rest is a technical-field statement; and, more loosely, sentences
  that open with such boilerplate at all.
- keyword search "风电 故障": rows of the patents and needs lists for an administrator.

It uses only what every version of the code has (the app, the matching service, the list
filters), so the same file measures the code before and after a change.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

ISSUE_WORDS = {"属于", "方案", "不能"}
FUNCTION_POS = set("d dg p c u uj ul uv uz ud ug r rr rz rg m mq q f y e o h k".split())
NOUN_POS = set("n ng nr nrt nrfg ns nt nz vn an l i j eng".split())
OPENER = re.compile(r"^(?:本(?:发明|实用新型|申请|公开)|(?:the\s+)?(?:present\s+)?"
                    r"(?:invention|disclosure)\s|一种)", re.IGNORECASE)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def load_dictionary():
    import jieba

    pos, freq = {}, {}
    for line in (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8"):
        word, count, tag = line.split()[:3]
        pos[word], freq[word] = tag, int(count)
    return pos, freq


def function_word(term, pos, freq, stop):
    if term in ISSUE_WORDS or term in stop:
        return True
    tag = pos.get(term)
    if tag is None:
        return False
    if tag in FUNCTION_POS:
        return True
    return freq[term] > (5000 if tag in NOUN_POS else 2500)


def whole_words(text, tok):
    """Tokens of jieba's precise cut (no HMM) and the parts of clean splits of long ones."""
    out = set()
    for token in tok.cut(text.lower(), HMM=False):
        out.add(token)
        if len(token) >= 3 and CJK.search(token):
            dag = tok.get_DAG(token)
            dag[0] = [e for e in dag[0] if e != len(token) - 1] or [0]
            route = {}
            tok.calc(token, dag, route)
            parts, start = [], 0
            while start < len(token):
                end = route[start][1] + 1
                parts.append(token[start:end])
                start = end
            if all(len(p) >= 2 and tok.FREQ.get(p) for p in parts):
                out.update(parts)
    return out


def fragment(term, need_words, patent_words, tok, domain):
    if not CJK.search(term):
        return False
    if not (tok.FREQ.get(term) or term in domain):
        return True
    return term not in need_words or term not in patent_words


def units(text):
    text = text.lower()
    runs = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]+", text)
    return [r[i:i + 2] for r in runs for i in range(max(1, len(r) - 1))] + re.findall(
        r"[a-z0-9]+", text)


def restates(sentence, title):
    text = sentence.strip()
    m = re.match(r"^(?:本(?:发明|实用新型|申请)(?:公开|提供|涉及|属于)?了?(?:一种)?|一种|"
                 r"(?:the\s+)?(?:present\s+)?invention\s+(?:relates\s+to|provides)\s+"
                 r"(?:the\s+field\s+of\s+)?(?:an?\s+)?)", text, re.IGNORECASE)
    rest = text[m.end():] if m else text
    if m and m.end() and (re.search(r"领域[。.]?$", rest) or "field" in m.group(0).lower()) \
            and len(rest) <= 40:
        return True
    rest = re.sub(r"其特征在于|包括|所述|comprising|wherein", " ", rest)
    got = units(rest)
    if not got:
        return True
    known = set(units(title or ""))
    return sum(u in known for u in got) / len(got) >= 0.6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--pair-pages", type=int, default=3)
    parser.add_argument("--samples", type=int, default=6)
    args = parser.parse_args()

    from sqlalchemy import select

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.matching.rows import prepare_need_row, prepare_patent_row
    from matchmaker.records import Need, NeedStatus, Patent, Role, User
    from matchmaker.services import matching
    from matchmaker.text.segment import domain_terms, stopwords, tokenizer

    try:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    except ImportError:  # the measure then counts the project's own English list only
        ENGLISH_STOP_WORDS = frozenset()
    pos, freq = load_dictionary()
    stop = set(stopwords()) | set(ENGLISH_STOP_WORDS)
    domain = set(domain_terms())
    tok = tokenizer()
    app = create_app()
    with app.app_context():
        needs = db.session.scalars(select(Need).where(Need.status == NeedStatus.OPEN)
                                   .order_by(Need.id)).all()[: args.needs]
        lists = bad_lists = terms_total = bad_terms = 0
        stored = stored_restating = stored_opening = 0
        paged = paged_restating = paged_opening = 0
        samples = []
        started = time.perf_counter()
        for need in needs:
            need_words = whole_words(prepare_need_row(need).lexical, tok)
            candidates = matching.match_need(need, 10)
            for position, cand in enumerate(candidates):
                patent = db.session.get(Patent, cand.patent_id)
                exp = cand.explanation or {}
                terms = [t.get("term") if isinstance(t, dict) else t
                         for t in exp.get("shared_terms") or []]
                patent_words = whole_words(prepare_patent_row(patent).lexical, tok)
                bad = [t for t in terms if function_word(t, pos, freq, stop)
                       or fragment(t, need_words, patent_words, tok, domain)]
                lists += 1
                terms_total += len(terms)
                bad_terms += len(bad)
                bad_lists += bool(bad)
                samples.append((need.title, patent.title, terms, bad))
                for s in exp.get("closest_sentences") or []:
                    stored += 1
                    stored_restating += restates(s["text"], patent.title)
                    stored_opening += bool(OPENER.match(s["text"]))
                if position < args.pair_pages:
                    for s in matching.pair_sentences(need, patent):
                        paged += 1
                        paged_restating += restates(s["text"], patent.title)
                        paged_opening += bool(OPENER.match(s["text"]))
        seconds = time.perf_counter() - started

        def share(a, b):
            return f"{a}/{b} = {a / b:.1%}" if b else f"{a}/0"

        print(f"needs matched: {len(needs)} ({seconds:.0f} s)")
        print(f"shared-term lists with a function word or fragment: {share(bad_lists, lists)}")
        print(f"such terms among all shared terms: {share(bad_terms, terms_total)}")
        print(f"stored closest sentences restating the title: {share(stored_restating, stored)}"
              f"; opening with boilerplate: {share(stored_opening, stored)}")
        print(f"pair-page closest sentences restating the title: "
              f"{share(paged_restating, paged)}; opening with boilerplate: "
              f"{share(paged_opening, paged)}")
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
        from matchmaker.portal.needs.filters import NeedFilters
        from matchmaker.portal.patents.filters import PatentFilters

        for name, filters in (("patents", PatentFilters), ("needs", NeedFilters)):
            stmt = filters(q="风电 故障").query(admin)
            count = len(db.session.scalars(stmt).all())
            print(f'keyword search "风电 故障" in {name}: {count} rows')
        random.Random(int(os.environ.get("SEED", "7"))).shuffle(samples)
        for need_title, patent_title, terms, bad in samples[: args.samples]:
            print(f"  {need_title} | {patent_title}: {terms}  flagged: {bad}")


if __name__ == "__main__":
    main()
