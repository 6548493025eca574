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
