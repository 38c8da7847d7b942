"""Form widgets of the project's own."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


class LongSelect(forms.Select):
    """A drop-down of hundreds of choices (a national organisation's volunteers) written
    in one pass: Django renders each option through a template of its own, which cost a
    phone's page more than everything else on it. Plain options only (no groups); the
    same markup as ``forms.Select``."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        # Escaped value by value (what format_html would do), joined once.
        options = "".join(
            f'<option value="{conditional_escape(key)}"'
            f"{' selected' if str(key) in chosen else ''}>{conditional_escape(label)}</option>"
            for key, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 - escaped above
