"""The builder of issue 9's extra evaluation tasks, on tiny synthetic input, and the evaluation
of a patent -> needs task (queries prepared as patents, documents as needs)."""

from __future__ import annotations

import csv
import json

from matchmaker.evaluation.__main__ import rank, task_engine
from matchmaker.evaluation.build_extra_tasks import main
from matchmaker.evaluation.tasks import load_task
from matchmaker.matching.settings import EngineSettings


def _data(tmp_path):
    data = tmp_path / "data"
    (data / "uspto").mkdir(parents=True)
    rows = [("10,000,001", "Neural network training", "Training a neural network on text.",
             "A", "B", "G06F 40/20 (20200101); G06N 3/08 (20060101)"),
            ("10,000,002", "Database index", "An index for a database of records.",
             "A", "B", "G06F 16/22 (20190101)"),
            ("10,000,003", "Shovel bucket", "A bucket for a mining shovel.", "A", "B",
             "E02F 3/40 (20060101)"),
            ("10,000,001", "duplicate", "dropped", "A", "B", "G06F 40/20 (20200101)")]
    with open(data / "uspto" / "USPTO_xx_inventors_data.txt", "w", encoding="utf-8") as fh:
        fh.writelines("\t".join(r) + "\n" for r in rows)
    (data / "cn_patent_sample").mkdir()
    with open(data / "cn_patent_sample" / "sample_test.csv", "w", encoding="utf-8-sig",
              newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["publication_number", "text", "labels", "n_labels"])
        out.writerow(["CN1A", "Title: 文本分类方法\nKeywords: text; label\nAbstract: 用神经网络对文本分类。",
                      json.dumps(["G06F40/30"]), 1])
        out.writerow(["CN2A", "数据库索引方法 [SEP] index database [SEP] 建立数据库索引。",
                      json.dumps(["G06F16/22", "G06F16/2453"]), 2])
        out.writerow(["", "", "", ""])  # padding rows in the real files
    (data / "csl").mkdir()
    records = [{"id": "dev-0", "split": "dev", "title": "磁体", "abstract": "稀土永磁体的制备。",
                "keywords": ["永磁体", "稀土"], "discipline": "材料"},
               {"id": "test-0", "split": "test", "title": "永磁材料矫顽力", "abstract": "提高矫顽力。",
                "keywords": ["矫顽力"], "discipline": "材料"},
               {"id": "test-1", "split": "test", "title": "风机叶片", "abstract": "叶片除冰。",
                "keywords": ["叶片"], "discipline": "电气"}]
    with open(data / "csl" / "csl_2k_merged.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    return data


def test_builder_writes_the_tasks(tmp_path, capsys):
    out = tmp_path / "tasks"
    assert main([str(_data(tmp_path)), str(out)]) == 0
    zh = load_task(out / "xl_zh2mixed_g06f_group")
    assert set(zh.corpus) == {"us-10000001", "us-10000002", "cn-CN1A", "cn-CN2A"}  # G06F only
    assert zh.corpus["cn-CN2A"] == ("数据库索引方法", "建立数据库索引。")  # [SEP] rows read too
    assert "Keywords" not in zh.corpus["cn-CN1A"][1]  # English keywords stay out
    assert zh.qrels == {"cn-CN1A": {"us-10000001": 1}, "cn-CN2A": {"us-10000002": 1}}
    assert zh.direction == "need"
    en = load_task(out / "xl_en2mixed_g06f_group")
    assert en.qrels == {"us-10000001": {"cn-CN1A": 1}, "us-10000002": {"cn-CN2A": 1}}
    kw = load_task(out / "xl_en_keywords2zh_patent")
    assert kw.queries == {"kw-cn-CN1A": "text  label", "kw-cn-CN2A": "index database"}
    assert kw.qrels["kw-cn-CN2A"] == {"cn-CN2A": 1}
    keys = load_task(out / "zh_csl_abstract2keywords")
    assert keys.direction == "patent" and keys.corpus["kw-test-0"] == ("", "矫顽力")
    assert keys.qrels["a-dev-0"] == {"kw-dev-0": 1}
    topical = load_task(out / "zh_csl_abstract2discipline")
    assert topical.qrels == {"a-dev-0-e": {"ti-test-0": 1}}
    assert topical.corpus["ti-test-1"] == ("", "风机叶片")


def test_patent_direction_ranks_needs_and_skips_the_query_itself(tmp_path, capsys):
    from matchmaker.config import load_config

    out = tmp_path / "tasks"
    main([str(_data(tmp_path)), str(out)])
    settings = EngineSettings.from_config(load_config(str(tmp_path / "instance"))).but(
        index_dir=str(tmp_path / "indexes"), encoders=("fake",), threads=1)
    task = load_task(out / "zh_csl_abstract2keywords")
    engine, _ = task_engine(task, "hybrid", settings, use_cache=False)
    assert engine.dense[0].stores.keys() == {"needs"}
    runs = rank(engine, task)
    assert runs["a-dev-0"][0] == "kw-dev-0"
    mixed = load_task(out / "xl_zh2mixed_g06f_group")
    engine, _ = task_engine(mixed, "hybrid", settings.but(index_dir=str(tmp_path / "m")),
                            use_cache=False)
    runs = rank(engine, mixed)
    assert all(qid not in ranked for qid, ranked in runs.items())  # never itself


def test_calibration_examples_follow_the_direction_and_skip_the_query_itself(tmp_path, capsys):
    from matchmaker.config import load_config
    from matchmaker.evaluation import calibrate

    out = tmp_path / "tasks"
    main([str(_data(tmp_path)), str(out)])
    settings = EngineSettings.from_config(load_config(str(tmp_path / "instance"))).but(
        encoders=("fake",), threads=1)
    task = load_task(out / "zh_csl_abstract2keywords")  # patents as queries, needs as documents
    part = calibrate.examples(task, settings.but(index_dir=str(tmp_path / "a")), top=5)
    assert str(part["direction"]) == "patent"
    first = {q: part["y"][list(part["qid"]).index(q)] for q in set(part["qid"].tolist())}
    assert first["a-dev-0"] == 1.0  # its own keyword list, found first among the needs
    assert calibrate.features(part).shape == (len(part["y"]), len(calibrate.FEATURES))
    mixed = load_task(out / "xl_zh2mixed_g06f_group")  # queries are documents of the corpus
    part = calibrate.examples(mixed, settings.but(index_dir=str(tmp_path / "m")), top=5)
    doc_ids = list(mixed.corpus)
    assert len(part["y"]) == sum(min(5, len(doc_ids) - 1) for _ in mixed.queries)  # not itself
