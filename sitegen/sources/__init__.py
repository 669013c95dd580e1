"""Where the manga come from: the catalogue loader and its records (:mod:`.catalogue`), the tag
vocabulary (:mod:`.vocabulary`), the offline synthetic demo (:mod:`.synthetic`) and the MangaDex
crawler that keeps a local snapshot (:mod:`.mangadex`)."""
