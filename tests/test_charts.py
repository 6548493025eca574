"""The server-drawn charts: what their scales say."""

from matchmaker.portal.charts import line_chart


def test_a_line_chart_labels_its_scale_with_the_largest_value():
    svg = str(line_chart([("W1", 20), ("W2", 75)], "t", unit="%"))
    assert ">75%</text>" in svg


def test_an_all_zero_line_chart_claims_no_scale():
    # weeks with nothing decided: the line lies on the axis, and no "1%" top is invented
    for points in ([("W1", 0), ("W2", 0)], []):
        svg = str(line_chart(points, "t", unit="%"))
        assert "%</text>" not in svg
        assert ">1</text>" not in svg


def test_a_funnel_stage_that_is_not_empty_never_reads_zero_percent():
    """QA, stop 35: 32 recommended pairs of 13,097 read "32（0%）" on the dashboard."""
    from matchmaker.portal.charts import funnel_chart, funnel_share

    assert [funnel_share(v, 13_097) for v in (13_097, 1_500, 32, 5, 0)] == [
        "100%", "11%", "0.2%", "<0.1%", "0%"]
    assert "32 (0.2%)" in str(funnel_chart([("All pairs", 13_097), ("Recommended", 32)]))
