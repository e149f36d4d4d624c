"""The words of the concept pages: each page's text file has a key idea, an everyday picture and a
go-deeper card that names its sources; a broken file is refused with a message naming it."""
import pytest

from resources.page_texts import PageTextError, load_page_text, parse_page_text

SOURCES = {
    "byol": ("BYOL", "Table 5", "SimSiam", "DirectPred", "2006.07733", "2011.10566", "2102.06810"),
    "dino": ("Fig. 7", "KL", "App. D", "2104.14294"),
    "multicrop": ("Table 8", "74.6", "67.8", "2104.14294"),
}


@pytest.mark.parametrize("page", sorted(SOURCES))
def test_each_concept_page_has_its_words_and_sources(page):
    text = load_page_text(page)
    assert 20 < len(text.key_idea) <= 80, "one line on a 1280-pixel page at zoom 1.5"
    assert 20 < len(text.picture) <= 80
    for needle in SOURCES[page]:
        assert needle in text.go_deeper


def test_numbers_in_the_cards_are_the_papers():
    """Every number quoted on a card appears in /work/shared/PAPERS.md's facts (spot checks)."""
    byol = load_page_text("byol").go_deeper
    for number in ("18.8", "72.5", "0.3", "0.2", "0.1", "66.6", "67.7", "1.5"):
        assert number in byol
    dino = load_page_text("dino").go_deeper
    for number in ("69.1", "69.7", "69.4", "0.1", "43.9", "66.7", "69.6", "68.7"):
        assert number in dino


@pytest.mark.parametrize("text, needle", [
    ("# Key idea\nA.\n# Everyday picture\nB.\n", "Go deeper"),
    ("# Key idea\n\n# Everyday picture\nB.\n# Go deeper\nC", "Key idea"),
    ("# Key idea\nA\n# Mystery\nB", "unknown section"),
])
def test_a_broken_text_is_refused_with_a_reason(text, needle):
    with pytest.raises(PageTextError) as error:
        parse_page_text(text, "x.md")
    assert needle in str(error.value) and str(error.value).startswith("x.md")
