"""The SVG charts of the pages and the PDF: from 0, labels that never overlap, nothing
drawn when there is nothing to draw."""

from __future__ import annotations

from django.template.loader import render_to_string

from evaluation import charts, display


def test_the_target_label_sits_right_of_every_bar_and_never_over_one():
    chart = charts.bar_chart(
        "GSE", [("Year 1", 75.0), ("Year 2", 78.0)], top=100, target=75, target_text="target 75%"
    )
    assert chart.target_y == chart.bars[0].y  # the first bar is exactly at the target
    assert max(b.x + b.width for b in chart.bars) < chart.right_x
    svg = render_to_string("evaluation/reports/_chart.html", {"chart": chart})
    assert f'x="{chart.right_x + 4}"' in svg and "target 75%" in svg
    # each bar's value is written above it, centred on it
    assert [b.text for b in chart.bars] == ["75%", "78%"]
    assert svg.count('class="chart-value"') == 2


def test_axes_start_at_zero_and_values_use_the_one_formatter():
    chart = charts.interval_chart("Means", [("Pre", 24.05, (22.0, 26.1)), ("Post", 30.25, None)])
    assert chart.ticks[0].value == 0 and chart.ticks[0].y == chart.baseline_y
    assert [p["text"] for p in chart.points] == [display.number(24.05), "30.3"]
    assert chart.ci_drawn
    assert not charts.interval_chart("Means", [("Pre", 1.0, None)]).ci_drawn


def test_a_chart_with_nothing_to_draw_is_empty():
    assert charts.bar_chart("A", [("Year 1", None), ("Year 2", None)], top=100).empty
    assert charts.interval_chart("B", [("Pre", None, None), ("Post", None, None)]).empty
    assert not charts.bar_chart("A", [("Year 1", None), ("Year 2", 50.0)], top=100).empty


def test_the_chart_draws_with_attributes_so_the_pdf_has_colours():
    chart = charts.bar_chart("A", [("Year 1", 50.0)], top=100)
    svg = render_to_string("evaluation/reports/_chart.html", {"chart": chart})
    assert 'class="chart-bar" fill="#' in svg
    assert "style=" not in svg


def test_many_bars_get_a_smaller_font_so_neighbouring_labels_never_overlap():
    bars = [(f"Year {n}", 100.0) for n in range(1, 13)]
    chart = charts.bar_chart("Attendance", bars, top=100, target=75, target_text="target 75%")
    slot = chart.bars[1].centre - chart.bars[0].centre
    widest = max(len(t) for b in chart.bars for t in (b.label, b.text))
    assert chart.font_size < 11
    assert widest * charts.CHAR_WIDTH * chart.font_size < slot
    few = charts.bar_chart("Attendance", bars[:3], top=100)
    assert few.font_size == 11
