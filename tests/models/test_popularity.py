"""The popularity re-ranking model and how its weight is chosen."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pytest

from sitegen.analysis.measures import related_matrix
from sitegen.analysis.neighbours import GRID
from sitegen.analysis.search import search
from sitegen.config import BuildConfig, replace
from sitegen.errors import ConfigError
from sitegen.models import REGISTRY
from sitegen.models.base import Model
from sitegen.models.lsi import LSI
from sitegen.models.popularity import PopularityBlend, choose_weight, pick_weight, popularity_scores
from sitegen.sources.catalogue import Manga, Relation, build_catalogue
from sitegen.sources.vocabulary import VOCABULARY

VOCAB = {t.id: t for t in VOCABULARY}
IDS = [t.id for t in VOCABULARY]


def mid(i: int) -> str:
    return str(uuid.UUID(int=i + 1))


def franchises(n_franchises=12, decoys=8, popular_follows=5000):
    """Each franchise: an original and two sequels (popular, well rated), plus unrelated decoys.

    The decoys carry exactly the original's two tags and are barely followed; the sequels add
    a third tag. By tags alone an original's nearest manga are the decoys, so its sequels are
    missed at small k; popularity brings them back.
    """
    manga, i = [], 0
    for f in range(n_franchises):
        base = (IDS[2 * f], IDS[2 * f + 1])
        original = i
        sequels = [original + 1, original + 2]
        manga.append(Manga(id=mid(original), title=f"o{f}", tag_ids=base, follows=popular_follows, bayesian=9.0,
                           relations=tuple(Relation(mid(s), "sequel") for s in sequels)))
        for s in sequels:
            manga.append(Manga(id=mid(s), title=f"s{s}", tag_ids=(*base, IDS[40 + f]), follows=popular_follows - s,
                               bayesian=8.5, relations=(Relation(mid(original), "prequel"),)))
        i += 3
        for d in range(decoys):
            manga.append(Manga(id=mid(i), title=f"d{i}", tag_ids=base, follows=1 + d, bayesian=5.0 + d / 10))
            i += 1
    return build_catalogue(manga, VOCAB)


class TagCosine(Model):
    """Cosine between raw tag vectors: a transparent base for planted cases."""

    name = "tag_cosine"
    label = "tag cosine"

    def fit(self, catalogue):
        self.embedding_ = catalogue.matrix.toarray().astype(np.float32)
        return self


def test_popularity_scores():
    manga = [
        Manga(id=mid(0), title="a", tag_ids=(IDS[0],), follows=10_000, bayesian=9.0),
        Manga(id=mid(1), title="b", tag_ids=(IDS[0],), follows=100, bayesian=6.0),
        Manga(id=mid(2), title="c", tag_ids=(IDS[0],), follows=100, bayesian=None),
        Manga(id=mid(3), title="d", tag_ids=(IDS[0],), follows=100, bayesian=0.0),  # MangaDex: no votes
        Manga(id=mid(4), title="e", tag_ids=(IDS[0],), follows=0, bayesian=7.5),
    ]
    cat = build_catalogue(manga, VOCAB)
    p = dict(zip((m.title for m in cat.manga), popularity_scores(cat)))
    assert all(0.0 <= v <= 1.0 for v in p.values())
    assert p["a"] == pytest.approx(1.0)
    assert p["c"] == pytest.approx(p["d"])  # both unrated: the median rating score
    assert p["b"] < p["c"] < p["a"]
    only_follows = dict(zip((m.title for m in cat.manga), popularity_scores(cat, rating_share=0.0)))
    assert only_follows["e"] == 0.0 and only_follows["b"] == pytest.approx(np.log1p(100) / np.log1p(10_000))


def test_weight_zero_is_the_base_model(demo_catalogue):
    n = len(demo_catalogue)
    blend = PopularityBlend(weight=0.0, seed=1).fit(demo_catalogue)
    base = LSI(seed=1).fit(demo_catalogue)
    assert blend.metric == "custom" and not blend.vector_search and blend.choice_ is None
    np.testing.assert_array_equal(search(blend, n, 10).indices, search(base, n, 10).indices)
    assert blend.embedding_.shape == base.embedding_.shape


def test_weight_pulls_popular_manga_up(demo_catalogue):
    n = len(demo_catalogue)
    pop = popularity_scores(demo_catalogue)
    means = []
    for weight in (0.0, 0.1, 0.5):
        model = PopularityBlend(weight=weight).fit(demo_catalogue)
        d = model.distances(np.arange(3))
        assert d.shape == (3, n) and d.dtype == np.float32
        means.append(pop[search(model, n, 10).indices].mean())
    assert means[0] < means[1] < means[2]


def test_choose_weight_finds_planted_sequels():
    cat = franchises()
    weights = (0.0, 0.1, 0.3, 0.5, 0.7)
    model = PopularityBlend(TagCosine(), weights=weights, k=2, max_coherence_loss=1.0, seed=0).fit(cat)
    choice = model.choice_
    assert choice.measure == "related_recall" and choice.related_rows == 36
    # Sequels find their original either way; originals find their sequels only once re-ranked.
    assert choice.recall == pytest.approx((2 / 3, 2 / 3, 1.0, 1.0, 1.0))
    assert model.weight_ == 0.3  # the smallest weight reaching the best recall
    originals = np.array([i for i, m in enumerate(cat.manga) if m.title.startswith("o")])
    found = search(model, len(cat), 2).indices[originals]
    sequels = related_matrix(cat)
    assert all(sequels[o, j] for o, row in zip(originals, found) for j in row)
    again = PopularityBlend(TagCosine(), weights=weights, k=2, max_coherence_loss=1.0, seed=0).fit(cat)
    assert again.choice_ == choice  # deterministic


def test_coherence_guard_and_one_standard_error_rule():
    cat = franchises()
    base = TagCosine().fit(cat)
    penalty = (1 - popularity_scores(cat)).astype(np.float32)[None, :]

    def parts(rows):
        return base.distances(rows), penalty

    strict = choose_weight(cat, parts, (0.7, 0.0, 0.3, 0.5), k=2, sample=500, seed=0, max_coherence_loss=0.0)
    assert strict.weights == (0.0, 0.3, 0.5, 0.7)
    assert strict.coherence[1] < strict.coherence[0] and strict.weight == 0.0  # re-ranking costs coherence
    loose = choose_weight(cat, parts, (0.0, 0.5, 0.7), k=2, sample=500, seed=0, max_coherence_loss=1.0)
    assert loose.recall[1] == loose.recall[2] == 1.0
    assert loose.weight == 0.5  # ties go to the smaller weight


def test_one_standard_error_rule_by_hand():
    coherence = np.array([0.5, 0.5, 0.5])
    # Weight 2 beats weight 0 on every manga: a real gain, not noise.
    clear = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.5], [1.0, 1.0, 1.0, 1.0]])
    chosen, best, gap_se = pick_weight(clear, coherence, 0.05)
    assert (chosen, best) == (2, 2) and gap_se[2] == 0.0
    # Weight 1 wins on one manga in four: a gap of 0.25 with standard error 0.25 is a tie.
    noisy = np.array([[0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    chosen, best, gap_se = pick_weight(noisy, coherence, 0.05)
    assert (chosen, best) == (0, 1) and gap_se[0] == pytest.approx(0.25)
    # The coherence guard rules out weight 2 (a 20% loss), leaving weight 1 as the best.
    chosen, best, _ = pick_weight(clear, np.array([0.5, 0.49, 0.4]), 0.05)
    assert (chosen, best) == (1, 1)


def test_no_relations_keeps_the_smallest_weight(demo_catalogue):
    cat = build_catalogue([m.__class__(**{**{f: getattr(m, f) for f in m.__slots__}, "relations": ()})
                           for m in demo_catalogue.manga], {t.id: t for t in demo_catalogue.tags})
    model = PopularityBlend(weights=(0.2, 0.1), seed=0).fit(cat)
    assert model.weight_ == 0.1 and model.choice_.measure == "none"
    assert "related titles" in model.choice_.reason


def test_registry_and_config():
    cls = REGISTRY["lsi_popularity"]
    assert cls is PopularityBlend and re.fullmatch(r"[a-z0-9_]+", cls.name) and cls.label and cls.summary
    config = replace(BuildConfig(seed=3), **{
        "models.lsi.rank": 7, "models.lsi_popularity.weights": (0.0, 0.4), "models.lsi_popularity.weight": None,
        "models.lsi_popularity.rating_share": 0.25, "models.lsi_popularity.sample": 300,
        "models.lsi_popularity.max_coherence_loss": 0.2, "neighbours.k": 5})
    model = PopularityBlend.from_config(config)
    assert model.base.rank == 7 and model.weights == (0.0, 0.4) and model.weight is None
    # k was left unset, so it follows the list length the build shows
    assert (model.rating_share, model.sample, model.k, model.max_coherence_loss, model.seed) == (0.25, 300, 5, 0.2, 3)
    assert set(model.get_params()) == {"seed", "base", "weights", "weight", "rating_share", "sample", "k",
                                       "max_coherence_loss"}
    fixed = PopularityBlend.from_config(replace(config, **{"models.lsi_popularity.k": 9}))
    assert fixed.k == 9


def test_choice_json(demo_catalogue):
    model = PopularityBlend(k=5, sample=200, seed=2).fit(demo_catalogue)
    data = model.choice_.to_json()
    assert data["measure"] == "related_recall" and data["weight"] in data["weights"]
    assert len(data["recall"]) == len(data["weights"]) == len(data["coherence"])


def test_bad_weights_are_refused(demo_catalogue):
    with pytest.raises(ConfigError, match=r"'models.lsi_popularity.weights': .*\[0, 1\)"):
        PopularityBlend(weights=(0.0, 1.0))
    with pytest.raises(ConfigError, match=r"'models.lsi_popularity.weight'"):
        PopularityBlend(weight=-0.5)
    with pytest.raises(ConfigError, match=r"'models.lsi_popularity.weights': expected at least one value"):
        PopularityBlend(weights=())


def test_at_weight_zero_the_build_shares_the_base_models_lists(demo_catalogue, caplog):
    from sitegen.build import same_distance

    config = replace(BuildConfig(seed=3), **{"models.lsi.rank": 9})
    lsi = LSI.from_config(config).fit(demo_catalogue)
    n = len(demo_catalogue)
    searched = search(lsi, n, 6, method="exact", groups=demo_catalogue.tag_groups, without=demo_catalogue.tagless)
    models = {"lsi": lsi}
    at_zero = PopularityBlend(base=LSI.from_config(config), weight=0.0, seed=3).fit(demo_catalogue)
    with caplog.at_level("INFO"):
        shared = same_distance(at_zero, [searched], models)
    assert shared is searched and "not searched again" in caplog.text
    own = search(at_zero, n, 6, method="exact", groups=demo_catalogue.tag_groups, without=demo_catalogue.tagless)
    assert np.array_equal(shared.indices, own.indices)  # what its own search would have found,
    finite = np.isfinite(own.distances)  # (the manga without tags have empty lists)
    assert np.array_equal(finite, np.isfinite(shared.distances))
    assert np.abs(shared.distances[finite] - own.distances[finite]).max() <= 1 / GRID  # other products may round apart
    # another weight, or a base with other hyperparameters, is searched
    assert same_distance(PopularityBlend(base=LSI.from_config(config), weight=0.1, seed=3).fit(demo_catalogue),
                         [searched], models) is None
    assert same_distance(PopularityBlend(base=LSI(rank=5, seed=3), weight=0.0, seed=3).fit(demo_catalogue),
                         [searched], models) is None
