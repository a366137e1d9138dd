"""A hostile chat template ends with a named limit, not a hang or gigabytes (issue 12's template inputs)."""
import pytest

from llmdoctor.diagnose.template_check import check_template

HOSTILE = [
    ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "ranges of 200000 items"),
    ("{{ range(10**9)|list }}", "range of 1000000000 items"),
    ("{{ 'a' * 1000000000 }}", "repetition of 1000000000 items"),
    ("{{ 'x'.center(1000000000) }}", "str.center with a width over"),
    ("{{ '%s'|format('a') * 99999999 }}", "repetition of 99999999 items"),
    ("{{ messages|tojson(indent=100000000) }}", "tojson indent 100000000"),
    ("{{ '{:>9999999}'.format('a') }}", "format width over"),
    ("{% for c in 'x' * 999999 %}{% for d in 'y' * 999999 %}{% endfor %}{% endfor %}", "rendering took over"),
]


@pytest.mark.parametrize("text,limit", HOSTILE)
def test_a_hostile_template_names_the_limit_it_hit(text, limit):
    verdict = check_template(text)
    assert verdict.error and "exceeds what llmdoctor renders" in verdict.error and limit in verdict.error


def test_small_nested_ranges_still_render():
    """The per-render range budget is for runaway loops; a template's own small loops stay untouched."""
    text = ("{% for m in messages %}{% for i in range(3) %}{% for j in range(2) %}{{ i }}{% endfor %}{% endfor %}"
            "{{ m.role }}: {{ m.content }}{% endfor %}")
    verdict = check_template(text)
    assert verdict.error is None and verdict.developer_role_ok is True
