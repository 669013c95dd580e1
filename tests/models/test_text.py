"""The description-aware model: its words, its blend, and that the text helps on the demo."""

from __future__ import annotations

import numpy as np
import pytest

from sitegen.analysis.measures import coherence_rows, related_matrix, related_recall, tag_bits
from sitegen.analysis.search import search
from sitegen.models.lsi import LSI
from sitegen.models.text import TagsText, tag_vectors, word_matrix
from sitegen.models.text_features import description_tokens, plain_text, title_tokens, tokens


def test_plain_text_drops_markup_addresses_and_decodes_entities_once():
    raw = ("[b]Kaguya&#039;s[/b] story. [url=https://twitter.com/x]Her Twitter[/url]\n[*]see "
           "https://example.com/a_b?c=d and <i>more</i> **bold** &amp;quot;")
    text = plain_text(raw)
    assert "Kaguya's" in text and "Her Twitter" in text and "bold" in text
    assert "[" not in text and "http" not in text and "twitter.com" not in text and "<i>" not in text
    assert "&quot;" in text  # decoded once: "&amp;quot;" is the text "&quot;", not a quote


def test_tokens_lower_words_and_unspaced_scripts_as_pairs():
    assert list(tokens("Attack on Titan 2")) == ["attack", "on", "titan"]
    assert list(tokens("進撃の巨人")) == ["進撃", "撃の", "の巨", "巨人"]
    assert list(tokens("나 혼자만 레벨업")) == ["나", "혼자", "자만", "레벨", "벨업"]
    assert list(tokens("Берсерк 1997")) == ["берсерк", "1997"]


def test_title_tokens_count_each_word_once_across_titles():
    assert title_tokens("Berserk", ("BERSERK", "ベルセルク")) == ["berserk", "ベル", "ルセ", "セル", "ルク"]


def test_description_tokens_skip_link_lists():
    words = description_tokens("A knight.\n[*][url=https://a.example]Official site[/url]")
    assert words == ["knight", "official", "site"]


def test_word_matrix_survives_tiny_and_wordless_catalogues():
    assert word_matrix([[], []], 2, 0.1).shape == (2, 0)
    m = word_matrix([["a", "b"], ["a"], ["c"]], 2, 0.1)
    assert m.shape == (3, 1)  # only "a" is in two manga; max_df never goes below min_df


@pytest.fixture(scope="module")
def fitted(demo_catalogue):
    return TagsText(seed=3, k=10, sample=600).fit(demo_catalogue)


def test_blend_is_a_cosine_mix_of_tags_and_text(fitted, demo_catalogue):
    w = fitted.weight_
    x = fitted.embedding_
    tags = tag_vectors(demo_catalogue)
    assert not hasattr(fitted, "tags_")  # let go after the fit: embedding_ holds them
    both = (np.linalg.norm(tags, axis=1) > 0) & (np.linalg.norm(fitted.text_, axis=1) > 0)
    i, j = np.flatnonzero(both)[:2]
    mix = (1 - w) * tags[i] @ tags[j] + w * fitted.text_[i] @ fitted.text_[j]
    assert x[i] @ x[j] == pytest.approx(mix, abs=1e-5)


def test_weight_chosen_from_relations_under_the_coherence_floor(fitted):
    choice = fitted.choice_
    assert choice.measure == "related_recall"
    assert choice.weights[0] == 0.0 and fitted.weight_ > 0  # the demo's text has signal to find
    chosen = choice.weights.index(fitted.weight_)
    assert choice.coherence[chosen] >= (1 - fitted.max_coherence_loss) * choice.coherence[0] - 1e-9
    assert choice.recall[chosen] > choice.recall[0]


def test_text_finds_related_titles_that_tags_alone_miss(demo_catalogue, fitted):
    """On the demo, sequels retell their first story's premise and share its title: the blend must
    find more of them than LSI over the same tags, with tag coherence kept within the floor."""
    related = related_matrix(demo_catalogue)
    rows = np.flatnonzero(np.diff(related.indptr) > 0)
    assert rows.size >= 30
    bits, everyone = tag_bits(demo_catalogue.matrix), np.arange(len(demo_catalogue))
    scores = {}
    for model in (LSI(seed=3).fit(demo_catalogue), fitted):
        table = search(model, len(demo_catalogue), 10, method="exact").indices
        scores[model.name] = (related_recall(related, rows, table[rows]).mean(),
                              coherence_rows(bits, everyone, table).mean())
    assert scores["tags_text"][0] > scores["lsi"][0] + 0.1
    assert scores["tags_text"][1] > 0.7 * scores["lsi"][1]
