"""The pages the browser tests visit still exist: a URL name that stopped resolving fails
(these run without a browser)."""

import pytest
from django.urls import get_resolver

from tests.browser.test_accessibility import PAGES, Page


def _known(url_name: str) -> bool:
    resolver = get_resolver()
    *spaces, name = url_name.split(":")
    for space in spaces:
        if space not in resolver.namespace_dict:
            return False
        _prefix, resolver = resolver.namespace_dict[space]
    return name in resolver.reverse_dict


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_checked_page_has_a_url_name_that_resolves(page):
    assert any(_known(url_name) for url_name, _args in page.routes), page.routes


def test_a_page_whose_url_names_do_not_resolve_fails_the_test():
    gone = Page("gone", None, (("groupsessions:no_such_page", None), ("nowhere", None)))
    with pytest.raises(pytest.fail.Exception, match="gone"):
        gone.url(world=None)
