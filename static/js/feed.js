// Feed: recent updates (the feed data file, taken at build time), re-ranked in the browser by how
// similar each is to the reader's library (static/js/library.js, kept in localStorage).
// Similarity is LSI's: a tag set is folded into the LSI space with the build's own formula,
// q_k = S_k^-1 V_k^T tfidf(q), and compared by cosine. All catalogue and feed text is inserted as
// text (textContent), never as HTML.
(function () {
  "use strict";

  const { $, el } = Site;
  const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
  const input = $("library-search");
  const list = $("library-results");

  let cat = null;         // catalogue.json
  let feed = null;        // the feed
  let items = [];         // usable feed items, newest first
  let known = { ids: new Map(), titles: [], tags: [] };  // the library's manga in this catalogue

  // --- the model ------------------------------------------------------------------------------

  // Fold a tag set into the LSI space: q_k = S^-1 V^T tfidf(q), tfidf(q)_t = q_t / sum(q) * idf_t.
  // `counts` maps tag column -> count; the JSON's projection is V_k / S_k, shape (n_tags, rank).
  function fold(counts) {
    const model = feed.model;
    const out = new Float64Array(model.rank);
    let total = 0;
    for (const c of counts.values()) total += c;
    if (!total) return out;
    for (const [t, c] of counts) {
      const w = (c / total) * model.idf[t];
      const row = model.projection[t];
      for (let k = 0; k < out.length; k++) out[k] += w * row[k];
    }
    return out;
  }

  function cosine(a, b) {
    let dot = 0, aa = 0, bb = 0;
    for (let k = 0; k < a.length; k++) { dot += a[k] * b[k]; aa += a[k] * a[k]; bb += b[k] * b[k]; }
    return aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : 0;
  }

  // The library's personalization vector is the fold-in of ONE tag set: the union of the library's
  // tags, each counted by how many library manga carry it. Fold-in is linear, so this equals the
  // mean of the manga's own folded vectors weighted by their tag counts; unlike a plain mean it is
  // a single document in the model's own terms (testable against LSI.transform), and a tag the
  // reader keeps coming back to weighs in proportion. Manga outside this catalogue have no tags.
  function libraryProfile(ids) {
    const counts = new Map();
    let found = 0;
    for (const id of ids) {
      if (!known.ids.has(id)) continue;
      found++;
      for (const t of known.tags[known.ids.get(id)]) counts.set(t, (counts.get(t) || 0) + 1);
    }
    return { known: found, tags: new Set(counts.keys()), vector: found ? fold(counts) : null };
  }

  // Where the library's manga are in this catalogue, with their titles and tags: the id buckets
  // they fall in, and the list columns when the library is not empty.
  async function resolve(ids) {
    const where = await Site.lookupIds(ids);
    const cols = where.size ? await Site.columns() : { title: [], tags: [] };
    known = { ids: where, titles: cols.title, tags: cols.tags };
  }

  // Feed items in display order: by score (ties newest first) when the library says something,
  // else in time order. Each entry: { item, pos, score (or null), shared (tag columns) }.
  function ranked(profile) {
    const entries = items.map((item, pos) => ({
      item, pos, score: profile.vector ? cosine(profile.vector, item.vector) : null,
      shared: item.tags.filter((t) => profile.tags.has(t)),
    }));
    if (profile.vector) entries.sort((a, b) => (b.score - a.score) || (a.pos - b.pos));
    return entries;
  }

  // --- loading --------------------------------------------------------------------------------

  // Items are checked again here: the page never trusts a field it builds a link or a lookup from.
  function usableItems() {
    const nTags = feed.model.idf.length;
    return (Array.isArray(feed.items) ? feed.items : []).filter((it) =>
      it && Site.isId(it.id) && typeof it.title === "string" &&
      Array.isArray(it.tags) && it.tags.every((t) => Number.isInteger(t) && t >= 0 && t < nTags)
    ).map((it) => {
      const inCatalogue = Number.isInteger(it.index) && it.index >= 0 && it.index < cat.n;
      return { id: it.id, title: it.title, tags: it.tags, index: inCatalogue ? it.index : null,
        updatedAt: typeof it.updatedAt === "string" && TIME.test(it.updatedAt) ? it.updatedAt : null,
        rating: String(it.contentRating || ""), vector: fold(new Map(it.tags.map((t) => [t, 1]))) };
    });
  }

  async function load() {
    [cat, feed] = await Promise.all([Site.catalogue(), Site.fetchData("feed")]);
    Titles.titleSearch({
      input, list, prefix: "library-result-",
      meta: (r) => Site.known([r.year, Site.followsText(r.follows)]),
      onChoose: addToLibrary,
    });
    items = usableItems();
    input.disabled = false;
    const source = feed.source === "mangadex" ? "MangaDex updates" : "latest updates of this catalogue";
    $("feed-status").textContent = items.length + " " + source + (feed.taken_at ? ", taken " + showTime(feed.taken_at) : "") + ".";
  }

  function showTime(iso) {
    return TIME.test(iso) ? iso.slice(0, 10) + " " + iso.slice(11, 16) + " UTC" : "";
  }

  // --- rendering ------------------------------------------------------------------------------

  function titleNode(item) {
    if (item.index === null) return el("span", { class: "n-title", dir: "auto" }, item.title);
    return el("a", { class: "n-title", dir: "auto", href: Site.pageUrl("explore", { id: item.id }) }, item.title);
  }

  function libraryButton(item, mine) {
    if (item.index === null) return null;
    if (mine.has(item.id)) return el("span", { class: "in-library" }, "in your library");
    const button = el("button", { type: "button", class: "library-add", "aria-label": "Add " + item.title + " to my library" }, "+ library");
    button.addEventListener("click", () => { Library.add(item.id); rerender(); });
    return button;
  }

  function feedEntry(entry, mine) {
    const { item, score, shared } = entry;
    const li = el("li", { class: "feed-item", "data-id": item.id });
    const head = el("div", { class: "n-head" });
    head.append(titleNode(item));
    if (score !== null) {
      li.setAttribute("data-score", score.toFixed(3));
      head.append(el("span", { class: "feed-score", title: "cosine similarity to your library (higher is closer)" }, score.toFixed(3)));
    }
    head.append(Site.mangadexLink(item.id, item.title));
    const button = libraryButton(item, mine);
    if (button) head.append(button);
    const meta = el("p", { class: "meta" });
    if (item.updatedAt) meta.append(el("time", { datetime: item.updatedAt }, showTime(item.updatedAt)));
    const words = [item.rating];
    if (score !== null) words.push(shared.length + (shared.length === 1 ? " shared tag" : " shared tags"));
    meta.append(document.createTextNode((item.updatedAt ? " · " : "") + words.filter(Boolean).join(" · ")));
    const chips = el("ul", { class: "tags feed-tags", "aria-label": "Tags (shared with your library highlighted)" });
    li.append(head, meta, Site.tagChips(chips, cat.tags, item.tags, new Set(shared)));
    return li;
  }

  function renderFeed(ids) {
    const profile = libraryProfile(ids);
    const ratings = new Set(Array.from(document.querySelectorAll("#feed-filters input:checked")).map((x) => x.value));
    const shown = ranked(profile).filter((e) => ratings.has(e.item.rating));
    const mine = new Set(ids);
    $("feed-items").replaceChildren(...shown.map((e) => feedEntry(e, mine)));
    const note = $("feed-note");
    const hidden = items.length - shown.length;
    const filtered = hidden ? " " + hidden + " hidden by the content-rating filter." : "";
    if (profile.vector) {
      note.textContent = "Ranked by similarity to the " + profile.known + " manga of your library (cosine of their " +
        "tags in the LSI space); highlighted tags are shared with it. Equal scores: newest first." + filtered;
    } else if (ids.length) {
      note.textContent = "None of your library's manga are in this catalogue, so the feed is in time order, newest first." + filtered;
    } else {
      note.textContent = "In time order, newest first. Add manga you like to your library (search on the left, or " +
        "“Add to my library” on the Explore page) to rank these updates by how close they are to your taste." + filtered;
    }
    if (!items.length) $("feed-items").replaceChildren(el("li", { class: "status" }, "No updates in this build."));
  }

  function renderLibrary(ids) {
    const ul = $("library-list");
    ul.replaceChildren();
    for (const id of ids) {
      const i = known.ids.get(id);
      const li = el("li", { class: "library-item", "data-id": id });
      const name = i === undefined ? "Not in this catalogue: " + id : known.titles[i];
      li.append(i === undefined ? el("span", {}, name) : el("a", { href: Site.pageUrl("explore", { id }), dir: "auto" }, name));
      const remove = el("button", { type: "button", class: "library-remove", "aria-label": "Remove " + name + " from my library" }, "Remove");
      remove.addEventListener("click", () => { Library.remove(id); rerender(); });
      li.append(remove);
      ul.append(li);
    }
    $("library-status").textContent = ids.length ? ids.length + " manga in your library."
      : "Your library is empty.";
  }

  let rendering = 0;
  async function render() {
    const ids = Library.read(), ticket = ++rendering;
    await resolve(ids);
    if (ticket !== rendering) return;  // the library changed meanwhile: the newer render draws
    renderLibrary(ids);
    renderFeed(ids);
  }

  // --- the library's title search -------------------------------------------------------------

  async function addToLibrary(i) {
    input.value = "";
    const { shard, r } = await Site.pick(i);  // the id is in the manga's pick shard only
    const ok = Library.add(shard.id[r]);
    await render();
    if (!ok) $("library-status").textContent = "This browser does not allow saving the library (storage is off or full).";
  }

  const failed = (err) => {
    $("feed-status").textContent = "Could not load the feed: " + err.message;
    $("feed-status").classList.add("error");
  };
  const rerender = () => { render().catch(failed); };
  load().then(render).then(() => {
    $("feed-filters").addEventListener("change", rerender);
    Library.onChange(rerender);
  }).catch((err) => {
    $("feed-status").textContent = "Could not load the feed: " + err.message;
    $("feed-status").classList.add("error");
  });
})();
