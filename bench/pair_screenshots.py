"""Screenshots of five pair pages of the demo with the real encoders (issue 9's "five pair pages
chosen to show flags, families and the new explanation").

Seeds the demo (``flask init-db`` + ``flask demo``: the production encoders match every record)
into a fresh SQLite database under ``--instance``, serves it with gunicorn as script/server
does, picks five stored pairs by what their explanation shows, and photographs each pair page
as demo-admin (who may open every pair; a broker only those of his scope) in headless Chromium (``/usr/bin/chromium``, Playwright), in Chinese and English,
at 1280 px and 390 px:

1. ``flags``: a pair whose preference flags (region, open licence, budget, cooperation mode)
   are shown;
2. ``family``: a patent that stands for others of its family or near-identical texts
   ("+N 同族/相似");
3. ``cross-language``: an English need and a Chinese patent (or the other way round);
4. ``strong``: a 高 pair of one language with shared terms and closest sentences;
5. ``patent-to-needs``: a pair found from the patent's side (patent -> needs).

    nice .venv/bin/python bench/pair_screenshots.py --instance /tmp/mm-shots --out /tmp/shots
    nice .venv/bin/python bench/pair_screenshots.py --keep --only zh_CN-1280 --compact \
        --out bench/figures/pairs     # the five committed ones, 64 colours

``--keep`` reuses the seeded instance (a new one takes a few minutes with the real encoders).

Prints the chosen pairs (id, need, patent, calibrated score, band, why chosen) and the files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import bench_env, flask, serving  # noqa: E402

PASSWORD = "shots-password-1"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = (1280, 390)
LOCALES = ("zh_CN", "en")


def stored_pairs(database: Path) -> list[dict]:
    """Every stored pair with its explanation, languages and titles."""
    con = sqlite3.connect(database)
    con.row_factory = sqlite3.Row
    rows = con.execute(
        "SELECT m.id, m.calibrated, m.explanation, n.title AS need, p.title AS patent, "
        "p.publication_number AS number FROM matches m JOIN needs n ON n.id = m.need_id "
        "JOIN patents p ON p.id = m.patent_id WHERE m.status = 'candidate' "
        "ORDER BY m.calibrated DESC").fetchall()
    con.close()
    pairs = []
    for row in rows:
        explanation = json.loads(row["explanation"] or "{}")
        pairs.append({**dict(row), "explanation": explanation})
    return pairs


def choose(pairs: list[dict]) -> list[tuple[str, dict]]:
    """Five different pairs, one per thing to show (the strongest of each kind)."""
    def language(p, side):
        return (p["explanation"].get("language") or {}).get(side)

    kinds = [
        ("flags", lambda p: {flag.get("value") for flag in p["explanation"].get("flags") or []}
         >= {True, False}),  # favourable and unfavourable flags side by side
        ("family", lambda p: bool(p["explanation"].get("family"))),
        ("cross-language", lambda p: language(p, "need") and language(p, "patent")
         and language(p, "need") != language(p, "patent")),
        ("strong", lambda p: (p["calibrated"] or 0) >= 50 and language(p, "need") == "zh"
         and p["explanation"].get("shared_terms") and p["explanation"].get("closest_sentences")),
        ("patent-to-needs", lambda p: p["explanation"].get("direction") == "patent"),
    ]
    chosen, taken = [], set()
    for name, test in kinds:
        for pair in pairs:
            if pair["id"] not in taken and test(pair):
                chosen.append((name, pair))
                taken.add(pair["id"])
                break
        else:
            print(f"no stored pair shows {name}", file=sys.stderr)
    return chosen


def photograph(url: str, chosen: list[tuple[str, dict]], out: Path,
               only: str | None = None, compact: bool = False) -> list[Path]:
    from playwright.sync_api import sync_playwright

    files = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for locale in LOCALES:
            for width in WIDTHS:
                if only and only != f"{locale}-{width}":
                    continue
                context = browser.new_context(viewport={"width": width, "height": 900},
                                              device_scale_factor=1)
                page = context.new_page()
                page.goto(f"{url}/auth/login")
                page.fill("#username", "demo-admin")
                page.fill("#password", PASSWORD)
                page.click("#submit")
                page.wait_for_load_state()
                if (page.get_attribute("html", "lang") or "").startswith("zh") != \
                        locale.startswith("zh"):
                    page.click("header .tools form[action*='/language/'] button")
                    page.wait_for_load_state()
                for n, (name, pair) in enumerate(chosen, start=1):
                    page.goto(f"{url}/queue/{pair['id']}")
                    path = out / f"{n}-{name}-{locale}-{width}.png"
                    page.screenshot(path=str(path), full_page=True)
                    if compact:  # a fifth of the bytes, text still sharp
                        from PIL import Image

                        Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
                    files.append(path)
                context.close()
        browser.close()
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", type=Path, default=Path("/tmp/mm-shots"))
    parser.add_argument("--out", type=Path, default=Path("bench/figures/pairs"))
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--keep", action="store_true", help="reuse a seeded --instance")
    parser.add_argument("--only", help="one screen, e.g. zh_CN-1280 or en-390")
    parser.add_argument("--compact", action="store_true", help="64-colour PNGs")
    args = parser.parse_args()

    database = args.instance / "shots.sqlite3"
    env = bench_env(f"sqlite:///{database}", args.instance, MATCHMAKER_DEMO_PASSWORD=PASSWORD)
    if not (args.keep and database.exists()):
        shutil.rmtree(args.instance, ignore_errors=True)
        args.instance.mkdir(parents=True)
        flask(env, "init-db")
        flask(env, "demo")
    chosen = choose(stored_pairs(database))
    for name, pair in chosen:
        explanation = pair["explanation"]
        print(f"{name}: pair {pair['id']} need «{pair['need']}» patent {pair['number']} "
              f"«{pair['patent']}» calibrated {pair['calibrated']} band "
              f"{explanation.get('band')} languages {explanation.get('language')}")
    args.out.mkdir(parents=True, exist_ok=True)
    with serving(env, port=args.port, workers=1, job_worker=False) as server:
        for path in photograph(server.url, chosen, args.out, args.only, args.compact):
            print(path)


if __name__ == "__main__":
    main()
