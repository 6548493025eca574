"""How full the booklet's patent pages are: the demo's patents in one event, rendered,
rasterised with pdftoppm and measured (the share of each patent page's writable height
that stays blank below the last printed line, footer excluded).

    .venv/bin/python bench/booklet_fill.py [--patents 6] [--png DIR]

Needs poppler's ``pdftoppm`` and a CJK font (script/setup --dev installs both).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from matchmaker import create_app  # noqa: E402
from matchmaker.booklet import booklet_pdf  # noqa: E402
from matchmaker.demo.seed import seed_demo  # noqa: E402
from matchmaker.extensions import db  # noqa: E402
from matchmaker.records import EventPatent, Patent, ReleaseEvent, Role, User  # noqa: E402

DPI = 50
FOOTER_MM = 20  # the bottom margin with the page footer


def blank_share(png: Path) -> float:
    """Blank share of the writable height: 1 - (last inked row / height above the footer)."""
    image = Image.open(png).convert("L")
    width, height = image.size
    usable = int(height * (1 - FOOTER_MM / 297))
    pixels = image.load()
    last = 0
    for y in range(usable):
        if any(pixels[x, y] < 200 for x in range(0, width, 2)):
            last = y
    return 1 - last / usable


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patents", type=int, default=6)
    parser.add_argument("--png", type=Path, help="keep the page images in this folder")
    parser.add_argument("--pdf", type=Path, help="keep the PDF here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="booklet-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(work / "i"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'b.sqlite3'}",
                      "ENCODER": "fake", "EXTRA_ENCODERS": "", "INDEX_DIR": str(work / "ix")})
    with app.app_context():
        db.create_all()
        seed_demo("bench-password-not-used-9")
        broker = db.session.scalar(select(User).where(User.role == Role.BROKER))
        event = ReleaseEvent(number="蒙科聚-2026-第12期", name="风电装备与运维专场",
                             venue="包头市稀土高新区科技成果转化中心",
                             theme="风电装备降本增效与智能运维",
                             held_on=date.today() + timedelta(days=14),
                             created_by_id=broker.id if broker else None)
        db.session.add(event)
        patents = db.session.scalars(select(Patent).where(Patent.technical_field.like("风电%"))
                                     .order_by(Patent.id).limit(args.patents)).all()
        for i, patent in enumerate(patents):
            db.session.add(EventPatent(event=event, patent=patent, position=i, on_stage=i < 2))
        db.session.commit()
        data = booklet_pdf(event, app.config)
    pdf = args.pdf or work / "booklet.pdf"
    pdf.write_bytes(data)
    out = args.png or work / "png"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(out / "page")], check=True)
    pages = sorted(out.glob("page-*.png"))
    patent_pages = pages[2:]  # cover, contents
    shares = [blank_share(p) for p in patent_pages]
    print(f"{len(data):,} bytes, {len(pages)} pages, {len(patents)} patents")
    print("blank share per patent page: " + ", ".join(f"{s:.0%}" for s in shares))
    if shares:
        print(f"mean blank share: {sum(shares) / len(shares):.0%}")
    print(f"pages in {out}")


if __name__ == "__main__":
    main()
