"""Held-out calibration error of each model in a calibration file, on stored examples.

    .venv/bin/python bench/calibration_compare.py matchmaker/matching/calibration_default.json \\
        /tmp/cal7/zh_csl_abstract2discipline.npz /tmp/cal7/zh_csl_abstract2keywords.npz

The examples are those `python -m matchmaker.evaluation.calibrate ... --examples DIR` keeps
(DIR/TASK.npz); only each task's held-out queries (the calibration's 30 % split) are scored, by
the file's main (need -> patent) model and by each side's model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from matchmaker.evaluation.calibrate import features, held_out
from matchmaker.matching.calibration import Calibrator, expected_calibration_error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_file")
    parser.add_argument("examples", nargs="+", help="TASK.npz files of the calibrate command")
    args = parser.parse_args(argv)
    calibrator = Calibrator.load(args.model_file)
    models = {"main": calibrator.model, **{side: m for side, (m, _) in calibrator.sides.items()}}
    print(f"{'task':32} {'model':6} {'pairs':>6} {'share':>6} {'mean p':>7} {'ECE':>7}")
    for path in args.examples:
        name = Path(path).stem
        with np.load(path, allow_pickle=False) as stored:
            part = {key: stored[key] for key in stored.files}
        mask = np.array([held_out(name, q) for q in part["qid"]])
        x, y = features(part)[mask], part["y"][mask]
        for label, model in models.items():
            p = model.probability(x)
            ece = expected_calibration_error(p, y)[0]
            print(f"{name:32} {label:6} {len(y):6d} {y.mean():6.3f} {p.mean():7.3f} {ece:7.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
