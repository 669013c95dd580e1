"""Test helpers: MangaDex-shaped manga objects and catalogues made from them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sitegen.catalogue import Catalogue, build_catalogue, parse_lines
from sitegen.vocabulary import VOCABULARY

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def manga_object(title="A Title", tags=("Romance", "Comedy"), *, manga_id=None, follows=None, **attributes):
    """A MangaDex-shaped manga object with tags given by English name."""
    by_name = {t.name: t for t in VOCABULARY}
    obj = {
        "id": manga_id or str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(title, sort_keys=True))),
        "type": "manga",
        "attributes": {
            "title": {"en": title} if isinstance(title, str) else title,
            "altTitles": [],
            "description": {"en": "A story."},
            "tags": [
                {"id": by_name[n].id, "type": "tag",
                 "attributes": {"name": {"en": n}, "group": by_name[n].group, "description": {}, "version": 1},
                 "relationships": []}
                for n in tags
            ],
            "contentRating": "safe",
            **attributes,
        },
        "relationships": [],
    }
    if follows is not None:
        obj["statistics"] = {"follows": follows, "rating": {"average": 7.0, "bayesian": 7.0}}
    return obj


def catalogue_of(objects) -> Catalogue:
    manga, vocabulary, synthetic_flag, _ = parse_lines(json.dumps(o) for o in objects)
    return build_catalogue(manga, vocabulary, synthetic=synthetic_flag)


