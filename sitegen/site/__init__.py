"""The site: the data files the pages read and their contract with the browser
(:mod:`.contract`), what goes into them (:mod:`.data`, :mod:`.feed`, :mod:`.descriptions`), and
writing pages and files atomically (:mod:`.render`, :mod:`.publish`)."""
