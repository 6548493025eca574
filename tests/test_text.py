"""Text preparation: normalisation, language, segmentation, sentences, long texts, fields."""

from __future__ import annotations

from matchmaker.text import (
    char_bigrams,
    detect_language,
    first_claim,
    key_terms,
    lexical_terms,
    normalize,
    prepare_need,
    prepare_patent,
    split_sentences,
    windows,
    words,
)
from matchmaker.text.fields import dense_chunks
from matchmaker.text.ipc import describe, subclass
from matchmaker.text.segment import domain_terms, stem, stopwords


def test_domain_dictionary_is_large_and_keeps_terms_whole():
    assert len(domain_terms()) >= 300
    tokens = words("本发明公开了一种烧结钕铁硼磁体的晶界扩散方法，提高矫顽力")
    assert "晶界扩散" in tokens and "矫顽力" in tokens
    assert "钕铁硼" in words("钕铁硼废料回收") and "电解水制氢" in words("碱性电解水制氢装置")
    # search mode also yields the dictionary words inside a longer one
    assert {"烧结钕铁硼", "钕铁硼", "烧结"} <= set(words("烧结钕铁硼", search=True))


def test_without_the_domain_dictionary_jieba_would_split_these_terms():
    import jieba

    plain = jieba.Tokenizer()
    assert "晶界扩散" not in list(plain.cut("晶界扩散方法"))


def test_language_detection():
    assert detect_language("一种稀土永磁材料的制备方法") == "zh"
    assert detect_language("A method for making rare earth magnets") == "en"
    # Chinese text with Latin abbreviations stays Chinese
    assert detect_language("NdFeB磁体的PVD镀膜工艺，涂层厚度5μm") == "zh"
    assert detect_language("") == "en"


def test_mixed_text_segments_both_scripts():
    tokens = words("采用PEM电解槽 and Proton Exchange Membranes 制氢")
    assert "pem" in tokens and "电解槽" in tokens
    assert "membrane" in tokens  # lower-cased and de-pluralised
    assert "制氢" in tokens


def test_english_stemming_is_light():
    assert stem("batteries") == "battery"
    assert stem("magnets") == "magnet"
    assert stem("process") == "process" and stem("gas") == "gas"
    assert stem("boxes") == "box"


def test_stopwords_and_boilerplate_are_not_key_terms():
    terms = key_terms("本发明公开了一种装置，所述装置其特征在于包括风电叶片除冰模块")
    assert "风电叶片" in terms and "除冰" in terms
    for boiler in ("本发明", "公开", "一种", "所述", "其特征在于", "装置", "方法"):
        assert boiler not in terms
    assert {"本发明", "所述", "其特征在于", "一种", "方法", "装置", "公开了"} <= stopwords()
    assert "wherein" not in key_terms("The device wherein the blade heater is provided")


def test_lexical_terms_with_and_without_bigrams():
    with_bigrams = lexical_terms("晶界扩散")
    assert "晶界扩散" in with_bigrams and "#晶界" in with_bigrams and "#扩散" in with_bigrams
    assert not any(t.startswith("#") for t in lexical_terms("晶界扩散", bigrams=False))
    assert char_bigrams("ab稀土c") == ["#稀土"]


def test_normalize_full_width_and_spaces():
    assert normalize("ＮｄＦｅＢ　磁体\n\t１２ ") == "NdFeB 磁体 12"
    assert normalize(None) == ""


def test_sentence_split_chinese_and_english():
    text = "本发明涉及磁体。通过晶界扩散提高矫顽力！是否可行？步骤一；步骤二。"
    assert split_sentences(text, min_chars=2) == [
        "本发明涉及磁体。", "通过晶界扩散提高矫顽力！", "是否可行？", "步骤一；", "步骤二。"]
    english = "A blade heater is used. It melts ice at 1.5 kW! Done?"
    assert split_sentences(english) == ["A blade heater is used.", "It melts ice at 1.5 kW!",
                                        "Done?"]
    # half-width periods between ideographs (common in Chinese papers) end sentences too,
    # never inside a number
    half = "提出了一种新的设计方法.仿真结果表明,在3.5℃时响应较快.参见Fig.2所示"
    assert split_sentences(half) == ["提出了一种新的设计方法.", "仿真结果表明,在3.5℃时响应较快.",
                                     "参见Fig.2所示"]


def test_long_text_is_cut_into_sentence_windows():
    sentence = "稀土永磁材料的晶界扩散工艺可以显著提高矫顽力。"  # 24 characters
    text = sentence * 30
    parts = windows(text, 100)
    assert all(len(p) <= 100 for p in parts)
    assert "".join(parts) == text  # nothing lost, nothing repeated
    assert all(p.endswith("。") for p in parts)  # whole sentences
    # a single sentence longer than the window is cut hard rather than dropped
    assert [len(p) for p in windows("长" * 250, 100)] == [100, 100, 50]


def test_dense_chunks_weights_sum_to_one_and_respect_the_limit():
    claims = "1. 一种磁体，其特征在于包括镝。2. 根据权利要求1所述的磁体。"
    prepared = prepare_patent("一种磁体", "本发明涉及磁体。" * 40, claims, ["H01F 1/057"])
    chunks = dense_chunks(prepared, 120)
    assert abs(sum(w for _, w in chunks) - 1.0) < 1e-6
    assert all(len(t) <= 120 for t, _ in chunks)
    assert chunks[0][0].startswith("一种磁体")
    assert any("H01F" in t for t, _ in chunks)


def test_first_claim_only():
    claims = "1. 一种稀土永磁材料，其特征在于：含镝0.5%。2. 根据权利要求1所述的材料，其特征在于。"
    assert first_claim(claims) == "一种稀土永磁材料，其特征在于：含镝0.5%。"
    english = "1. A magnet comprising Nd, wherein grains are 2.5 um. 2. The magnet of claim 1."
    assert first_claim(english) == "A magnet comprising Nd, wherein grains are 2.5 um."
    assert first_claim(None) == ""


def test_patent_and_need_fields():
    patent = prepare_patent("一种电动矿用卡车换电装置", "本发明涉及换电。", None,
                            ["B60L 53/80", "X99Z 1/00"], "新能源汽车")
    assert "电动车辆动力装置" in patent.lexical  # IPC subclass description added
    assert "新能源汽车" in patent.lexical
    assert patent.language == "zh"
    need = prepare_need("Blade de-icing", "Ice on wind turbine blades.", ["heater", "ice"])
    assert need.language == "en"
    assert "heater ice" in need.lexical and len(need.parts) == 1


def test_ipc_descriptions():
    assert subclass("h01f 1/057") == "H01F"
    assert describe(["H01F 1/057", "H01F 41/02", "C25B 1/04"]) == (
        "H01F 磁体 电感 变压器 永磁材料；C25B 电解工艺 电解水制氢")
    assert describe(["G21Z 9/99"]) == "G21Z"  # unknown subclass: the code only


def test_bm25_terms_are_snowball_stemmed_but_key_terms_stay_readable():
    assert lexical_terms("Heating elements for batteries") == ["heat", "element", "batteri"]
    assert key_terms("Heating elements for batteries") == ["heating", "element", "battery"]


def test_patent_title_counts_twice_for_bm25():
    prepared = prepare_patent("Blade heater", "It melts ice.")
    assert prepared.lexical.count("Blade heater") == 2
    assert prepared.parts[0][0].count("Blade heater") == 1  # not for the encoders


def test_a_needs_boilerplate_about_its_own_ip_rights_is_no_keyword():
    """具有自主知识产权的 is said of any subject; its 知识产权 (and the bigrams 知识 / 产权) made
    an IP-management text a strong keyword match for a mining-truck need (QA pass 5)."""
    from matchmaker.text import prepare_need
    from matchmaker.text.segment import lexical_terms

    need = prepare_need("大吨位矿用自卸车电传动系统国产化",
                        "希望引进具有自主知识产权的交流电传动系统技术，包括轮边电机。")
    words = lexical_terms(need.lexical)
    assert "知识产权" not in words and "产权" not in words and "识产" not in words
    assert {"交流电", "轮边"} & set(words)
    assert "自主知识产权" in need.parts[0][0]  # the encoders still read the sentence whole
    # a need about IP itself keeps the word
    assert "知识产权" in lexical_terms(prepare_need("知识产权管理系统").lexical)
