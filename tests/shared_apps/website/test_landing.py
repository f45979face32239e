from __future__ import annotations

from django.test import Client


def test_the_landing_page_says_what_strata_does(db: None) -> None:
    response = Client(HTTP_HOST="localhost:8000").get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your team's work, in a workspace that is only yours." in page
    assert 'href="/accounts/login/"' in page
    assert "your-team.localhost:8000" in page


def test_a_missing_public_page_is_a_branded_404(db: None) -> None:
    response = Client(HTTP_HOST="localhost").get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
