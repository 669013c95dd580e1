"""A deterministic synthetic catalogue in MangaDex's own shape, for offline builds and tests.

Tags come from the real 77-tag vocabulary with per-tag frequencies proportional to the 2022
catalogue (:mod:`sitegen.sources.vocabulary`). Co-occurrence comes from latent themes
(:mod:`sitegen.sources.synthetic_words`): each manga mixes one or two themes, draws a heavy-tailed number
of tags (median about 4, a tail to 25, some with one) and samples them without replacement with
probabilities ``w_t * (background + affinity)``. The per-tag weights ``w_t`` are calibrated by
iterative proportional fitting on a sample until the marginal frequencies match the 2022 counts.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from . import synthetic_words as words
from .synthetic_titles import add_alt_titles
from .vocabulary import SNAPSHOT_SIZE_2022, VOCABULARY

log = logging.getLogger(__name__)

BACKGROUND = 0.03
SERIES_SHARE = 0.08
#: Share of manga with no tags at all (3% of a real 2024 catalogue): found by title, placed by text.
TAGLESS_SHARE = 0.02
START = np.datetime64("2018-01-18T00:00:00")
END = np.datetime64("2026-11-01T00:00:00")


def target_frequencies() -> np.ndarray:
    """Share of manga carrying each vocabulary tag, shape (77,), from the 2022 counts."""
    counted = [t.count for t in VOCABULARY if t.count]
    rarest = min(counted)
    return np.array([(t.count or rarest / 3) for t in VOCABULARY]) / SNAPSHOT_SIZE_2022


def _affinities() -> tuple[np.ndarray, np.ndarray]:
    """Theme x tag affinity matrix, shape (n_themes, 77), and theme probabilities."""
    column = {t.name: j for j, t in enumerate(VOCABULARY)}
    names = list(words.THEMES)
    aff = np.zeros((len(names), len(VOCABULARY)))
    for i, name in enumerate(names):
        for tag, weight in words.THEMES[name].items():
            aff[i, column[tag]] = weight
    weights = np.array([words.THEME_WEIGHTS[n] for n in names], dtype=float)
    return aff, weights / weights.sum()


def _draw_structure(rng: np.random.Generator, n: int, aff: np.ndarray, theme_p: np.ndarray):
    """Per manga: main theme, its theme mixture (n, 77 affinities) and tag count."""
    main = rng.choice(len(theme_p), size=n, p=theme_p)
    second = rng.choice(len(theme_p), size=n, p=theme_p)
    mix_w = np.where(rng.random(n) < 0.35, rng.uniform(0.2, 0.5, n), 0.0)
    mixture = (1 - mix_w)[:, None] * aff[main] + mix_w[:, None] * aff[second]
    counts = np.clip(np.round(rng.lognormal(np.log(4.0), 0.62, n)), 1, 25).astype(int)
    return main, mixture, counts


def _sample_tags(rng: np.random.Generator, mixture: np.ndarray, counts: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Binary (n, 77) tag matrix: ``counts[i]`` tags without replacement (Gumbel top-k)."""
    logits = np.log(w[None, :] * (BACKGROUND + mixture))
    keys = logits + rng.gumbel(size=logits.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    chosen = np.zeros(keys.shape, dtype=bool)
    ranks = np.arange(keys.shape[1])[None, :] < counts[:, None]
    np.put_along_axis(chosen, order, ranks, axis=1)
    return chosen


def calibrate(seed: int, sample: int = 6000, rounds: int = 12) -> np.ndarray:
    """Per-tag weights, shape (77,), that make sampled tag frequencies match the 2022 shares."""
    rng = np.random.default_rng([seed, 1])
    aff, theme_p = _affinities()
    _, mixture, counts = _draw_structure(rng, sample, aff, theme_p)
    gumbel_seed = rng.integers(2**32)
    target = target_frequencies()
    target = target * counts.mean() / target.sum()  # shares consistent with the drawn tag counts
    w = np.ones(len(VOCABULARY))
    for _ in range(rounds):
        observed = _sample_tags(np.random.default_rng(gumbel_seed), mixture, counts, w).mean(axis=0)
        w *= (target / np.maximum(observed, 0.5 / sample)) ** 0.8
    return w


class Dice:
    """Fast scalar draws for the per-record loop: numpy's scalar calls cost microseconds each.

    Uniforms come from the seeded generator in large batches, so the stream stays
    deterministic for a seed.
    """

    def __init__(self, rng: np.random.Generator, batch: int = 1 << 16):
        self.rng, self._batch = rng, batch
        self._buf, self._i = rng.random(batch), 0
        self._cumulative: dict[tuple, tuple[list[str], np.ndarray]] = {}

    def random(self) -> float:
        if self._i == self._batch:
            self._buf, self._i = self.rng.random(self._batch), 0
        self._i += 1
        return float(self._buf[self._i - 1])

    def integers(self, low: int, high: int) -> int:
        """Uniform integer in [low, high)."""
        return low + int(self.random() * (high - low))

    def pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def sample(self, seq, count: int) -> list:
        """``count`` distinct items of ``seq``, in draw order."""
        pool = list(seq)
        return [pool.pop(int(self.random() * len(pool))) for _ in range(min(count, len(pool)))]

    def weighted(self, table: dict[str, float]) -> str:
        key = tuple(table.items())
        if key not in self._cumulative:
            self._cumulative[key] = (list(table), np.cumsum(list(table.values())) / sum(table.values()))
        keys, cum = self._cumulative[key]
        return keys[min(int(np.searchsorted(cum, self.random(), side="right")), len(keys) - 1)]


def _name(rng: Dice) -> tuple[str, str]:
    """A made-up Japanese-sounding name, romanized and in katakana."""
    parts = [rng.pick(words.SYLLABLES) for _ in range(rng.integers(2, 4))]
    return "".join(parts).capitalize(), "".join(words.KATAKANA[p] for p in parts)


def _title(rng: Dice) -> tuple[str, str]:
    name, kana = _name(rng)
    fill = {
        "adj": rng.pick(words.ADJECTIVES), "noun": rng.pick(words.NOUNS),
        "noun2": rng.pick(words.NOUNS), "place": rng.pick(words.PLACES),
        "verb": rng.pick(words.VERBS), "name": name,
    }
    return rng.pick(words.TEMPLATES).format(**fill), kana


def _alt_titles(rng: Dice, kana: str, language: str) -> list[dict[str, str]]:
    alts = []
    if language == "ja" or rng.random() < 0.3:
        alts.append({"ja": kana + "の" + rng.pick(words.HANZI) + rng.pick(words.HANZI)})
    if language == "ko" or rng.random() < 0.1:
        alts.append({"ko": "".join(chr(0xAC00 + rng.integers(0, 11172)) for _ in range(rng.integers(2, 6)))})
    if language == "zh" or rng.random() < 0.1:
        alts.append({"zh": "".join(rng.pick(words.HANZI) for _ in range(rng.integers(2, 7)))})
    return alts


def _description(rng: Dice, title: str, theme: str) -> str:
    """A few sentences: a made-up premise, then words of the manga's main theme (the signal a
    description model can find beyond the tags), then a note that it is demo data."""
    name, _ = _name(rng)
    fill = {"name": name, "noun": rng.pick(words.NOUNS).lower(), "adj": rng.pick(words.ADJECTIVES),
            "place": rng.pick(words.PLACES)}
    sentences = [s.format(**fill) for s in rng.sample(words.SENTENCES, rng.integers(1, 4))]
    sentences.append(rng.pick(words.THEME_SENTENCES).format(*rng.sample(words.THEME_WORDS[theme], 3)))
    return " ".join(sentences) + f"\n\n---\n*{title}* is synthetic demo data."


def _tag_object(j: int) -> dict:
    tag = VOCABULARY[j]
    return {"id": tag.id, "type": "tag", "attributes": {"name": {"en": tag.name}, "description": {},
            "group": tag.group, "version": 1}, "relationships": []}


def _timestamp(t: np.datetime64) -> str:
    return str(t.astype("datetime64[s]")) + "+00:00"


def _statistics(rng: Dice, z: float) -> dict:
    follows = int(np.exp(np.log(40) + 2.0 * z))
    if follows < 3:
        return {"follows": follows, "rating": {"average": None, "bayesian": 0}}
    average = min(10.0, max(1.0, 7.3 + 1.1 * (rng.random() + rng.random() + rng.random() - 1.5) * 2))
    votes = follows / 8
    bayesian = (average * votes + 6.9 * 25) / (votes + 25)
    return {"follows": follows, "rating": {"average": round(average, 4), "bayesian": round(bayesian, 4)}}


def _record(rng: Dice, tags: np.ndarray, theme: str, created: np.datetime64, title: str, kana: str, z: float, manga_id: str) -> dict:
    language = rng.weighted(words.LANGUAGES.get(theme, words.LANGUAGES["default"]))
    translated = ["en"] if rng.random() < 0.85 else []
    translated += sorted(rng.sample(words.TRANSLATIONS, rng.integers(0, 4)))
    updated = created + np.timedelta64(rng.integers(0, max(1, int((END - created) / np.timedelta64(1, "s")))), "s")
    year = max(1970, 2026 - int(-5.0 * np.log((1 - rng.random()) * (1 - rng.random()))))
    return {
        "id": manga_id,
        "type": "manga",
        "attributes": {
            "title": {("en" if rng.random() < 0.7 else "ja-ro"): title},
            "altTitles": _alt_titles(rng, kana, language),
            "description": {"en": _description(rng, title, theme)},
            "originalLanguage": language,
            "publicationDemographic": rng.weighted({"shounen": .3, "shoujo": .2, "seinen": .2, "josei": .07, "": .23}) or None,
            "status": rng.weighted({"ongoing": .45, "completed": .4, "hiatus": .08, "cancelled": .07}),
            "year": year if rng.random() < 0.9 else None,
            "contentRating": rng.weighted({"safe": .7, "suggestive": .18, "erotica": .08, "pornographic": .04}),
            "tags": [_tag_object(j) for j in np.flatnonzero(tags)],
            "createdAt": _timestamp(created),
            "updatedAt": _timestamp(updated),
            "availableTranslatedLanguages": translated,
        },
        "relationships": [],
        "statistics": _statistics(rng, z),
    }


def _uuid(bits: np.ndarray) -> str:
    return str(uuid.UUID(int=(int(bits[0]) << 64) | int(bits[1]), version=4))


def _unique_title(rng: Dice, seen: set[str]) -> tuple[str, str]:
    for _ in range(8):
        title, kana = _title(rng)
        if title not in seen:
            break
    else:
        title = f"{title} {len(seen)}"
    seen.add(title)
    return title, kana


def _people(rng: np.random.Generator, main: np.ndarray, records: list[dict]) -> None:
    """Give every manga an author (who also draws it, two times in three, else a separate artist).

    Mangaka keep to a theme, and a few are prolific (Zipf-like), so "More by" has something to
    show and an author's titles look alike, as on MangaDex.
    """
    n, themes = len(records), int(main.max(initial=0)) + 1
    pool = max(1, n // 4)
    home = rng.integers(0, themes, pool)  # each mangaka's theme
    ids = [_uuid(bits) for bits in rng.integers(0, 2**63, size=(pool, 2), dtype=np.uint64)]
    names = [" ".join(
        "".join(words.SYLLABLES[int(x)] for x in rng.integers(0, len(words.SYLLABLES), int(rng.integers(2, 4)))).capitalize()
        for _ in range(2)) for _ in range(pool)]
    by_theme = [np.flatnonzero(home == t) for t in range(themes)]
    weights = 1.0 / np.arange(1, pool + 1) ** 0.8
    for i, record in enumerate(records):
        choices = by_theme[main[i]] if by_theme[main[i]].size else np.arange(pool)
        p = weights[: choices.size] / weights[: choices.size].sum()
        author = int(choices[rng.choice(choices.size, p=p)])
        artist = author if rng.random() < 2 / 3 else int(rng.integers(0, pool))
        record["relationships"] += [{"id": ids[who], "type": role, "attributes": {"name": names[who]}}
                                    for who, role in ((author, "author"), (artist, "artist"))]


def _link_series(records: list[dict], rng: np.random.Generator, tags: np.ndarray) -> None:
    """Turn some manga into sequels or spin-offs of earlier ones: related titles, shared tags."""
    n = len(records)
    for i in np.flatnonzero(rng.random(n) < SERIES_SHARE):
        if i == 0:
            continue
        parent = int(rng.integers(0, i))
        suffix, kind = words.SEQUEL_SUFFIXES[int(rng.integers(len(words.SEQUEL_SUFFIXES)))]
        base = next(iter(records[parent]["attributes"]["title"].values()))
        records[i]["attributes"]["title"] = {"en": base + suffix}
        # a sequel's blurb retells its first story's premise (same people, same place), as real ones do
        premise = records[parent]["attributes"]["description"]["en"].split(". ")[0].split("\n")[0]
        records[i]["attributes"]["description"] = {"en": f"{premise.rstrip('.')}. {base}{suffix} goes on from there.\n\n"
                                                          f"---\n*{base}{suffix}* is synthetic demo data."}
        own = tags[parent].copy()
        flip = int(rng.integers(len(own)))
        if own.sum() > 2 or not own[flip]:
            own[flip] = not own[flip]
        records[i]["attributes"]["tags"] = [_tag_object(j) for j in np.flatnonzero(own)]
        records[i]["attributes"]["originalLanguage"] = records[parent]["attributes"]["originalLanguage"]
        # the same mangaka carry a series on
        records[i]["relationships"] = [r for r in records[parent]["relationships"] if r["type"] != "manga"]
        records[i]["relationships"].append({"id": records[parent]["id"], "type": "manga", "related": words.REVERSE[kind]})
        records[parent]["relationships"].append({"id": records[i]["id"], "type": "manga", "related": kind})


def generate(size: int, seed: int) -> list[dict]:
    """Synthetic manga objects, as ``GET /manga`` returns them plus ``statistics``.

    Parameters
    ----------
    size : int
        Number of manga.
    seed : int
        Same seed, same catalogue (byte for byte once serialized).
    """
    w = calibrate(seed)
    rng = np.random.default_rng([seed, 2])
    aff, theme_p = _affinities()
    main, mixture, counts = _draw_structure(rng, size, aff, theme_p)
    tags = _sample_tags(rng, mixture, counts, w)
    theme_names = list(words.THEMES)
    span = int((END - START) / np.timedelta64(1, "s"))
    created = START + np.sort(rng.integers(0, span, size)).astype("timedelta64[s]")
    popularity = rng.standard_normal(size)
    id_bits = rng.integers(0, 2**63, size=(size, 2), dtype=np.uint64)
    dice = Dice(rng)
    seen: set[str] = set()
    records = []
    for i in range(size):
        title, kana = _unique_title(dice, seen)
        records.append(_record(dice, tags[i], theme_names[main[i]], created[i], title, kana, float(popularity[i]), _uuid(id_bits[i])))
    add_alt_titles(np.random.default_rng([seed, 7]), records, popularity)
    _people(rng, main, records)
    _link_series(records, rng, tags)
    for i in np.flatnonzero(rng.random(size) < TAGLESS_SHARE):
        records[i]["attributes"]["tags"] = []
    for slot, title in zip(rng.choice(size, size=min(size, len(words.HOSTILE_TITLES)), replace=False), words.HOSTILE_TITLES):
        records[slot]["attributes"]["title"] = {"en": title}
    return records


def lines(records: list[dict]) -> Iterator[str]:
    """Serialized JSON Lines, deterministic (sorted keys, no spaces)."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def write(records: list[dict], path: Path) -> Path:
    """Write a catalogue file atomically; gzipped (mtime 0, so byte-identical) if it ends in .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                    for line in lines(records):
                        gz.write(line.encode("utf-8"))
            else:
                for line in lines(records):
                    raw.write(line.encode("utf-8"))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
