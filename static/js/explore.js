// Explore: title search, then one manga: its header, its related titles on MangaDex, one list of
// similar manga from the model the build's evaluation ranks best (its own series and guarded
// titles left out unless the reader asks), and any models side by side on demand.
// What loads when (sitegen/site/titles.py, data.py): the title fragment a query needs; on a pick,
// its pick shard alone (header, description, relations, people, the default model's list, and the
// titles, tags and facets of the manga these name); Compare fetches each model's lists and, once,
// the list columns of every manga (its lists name any).
// All catalogue text is inserted as text (textContent), never as HTML; the one exception is the
// description, which the build sanitized with an allowlist.
(function () {
  "use strict";

  const { $, el } = Site;
  const RATINGS = Site.contract.content_ratings;  // a rating column indexes these names
  const input = $("search-input");
  const list = $("search-results");
  const status = $("status");

  let cat = null;       // catalogue.json
  let full = null;      // columns.json, once Compare needs it
  let near = new Map(); // index -> [columns, row] of the manga the picked one's shard names
  let current = null;   // { i, shard, r, id } of the picked manga
  let picking = 0;      // picks started; a slower earlier one is dropped

  // A list column (title, year, tags, rating, lang, status, demo) of manga j: from the pick shard
  // (its own manga and its `near` ones), else from the catalogue-wide columns.
  function info(name, j) {
    const hit = near.get(j);
    return hit ? hit[0][name][hit[1]] : full[name][j];
  }
  function nearOf(shard) {
    const at = new Map();
    shard.near.i.forEach((j, row) => at.set(j, [shard.near, row]));
    shard.id.forEach((_, row) => at.set(shard.start + row, [shard, row]));
    return at;
  }

  async function start() {
    cat = await Site.catalogue();
    Titles.titleSearch({
      input, list, prefix: "result-",
      meta: (r) => Site.known([r.year, Site.followsText(r.follows)]),
      onChoose: (i, r) => choose(i, r.title),
      onResults: (found, needle, max, err) => {
        status.textContent = err ? "Could not search: " + err.message : !needle ? "Type to search." : found
          ? found + (found === max ? "+" : "") + " matching titles; use ↑ ↓ and Enter, or click."
          : "No title matches “" + needle + "”.";
      },
    });
    status.textContent = cat.n.toLocaleString("en") + " manga, " + cat.models.length + " models. Type to search.";
  }

  // A reader's pick (search or a link in the page): into the URL, and focus to the manga's
  // heading, so that a screen reader reads it and Tab goes on to its recommendations.
  function choose(i, title) {
    if (title) input.value = title;
    window.scrollTo(0, 0);
    select(i, { push: true, focus: true });
  }

  async function select(i, { push = false, focus = false } = {}) {
    const ticket = ++picking;
    $("intro").hidden = true;
    $("intro-head").hidden = true;  // one h1 a state: the manga's title is the page's heading now
    $("selection").hidden = false;
    $("columns").replaceChildren(el("p", { class: "status" }, "Loading…"));
    let shard, r;
    try {
      ({ shard, r } = await Site.pick(i));
      if (ticket !== picking) return;
      current = { i, shard, r, id: shard.id[r] };
      near = nearOf(shard);
      Site.setUrl(urlParams({ id: current.id }), push ? { push: true, state: { id: current.id } } : {});
      header(shard, r);
      if (focus) $("manga-title").focus();
    } catch (err) {
      if (ticket === picking) $("columns").replaceChildren(el("p", { class: "error" }, "Could not load this manga: " + err.message));
      return;
    }
    if (ticket !== picking) return;
    renderRelated();
    await renderLists();
  }

  function header(shard, r) {
    const title = shard.title[r];
    document.title = title + " · Explore · mangarec";
    $("manga-title").textContent = title;
    // the one line a screen reader announces for a pick (the status line is the live region)
    status.textContent = "Showing " + title + " and the manga most like it. Type to search again.";
    // each alternative title isolated: one right-to-left title must not reorder its neighbours
    $("manga-alt").replaceChildren(...shard.alt[r].flatMap((t, n) => (n ? [" · "] : []).concat([el("bdi", {}, t)])));
    const facet = (name, code) => (code >= 0 ? cat.facets[name][code] : null);
    $("manga-meta").textContent = Site.known([shard.year[r], facet("status", shard.status[r]),
      facet("demo", shard.demo[r]), RATINGS[shard.rating[r]], Site.followsText(shard.follows[r]),
      shard.score[r] != null ? "rated " + shard.score[r] : null]);
    Site.tagChips($("manga-tags"), cat.tags, shard.tags[r]);
    $("manga-link").href = Site.mangadexUrl(shard.id[r]);
    libraryButton();
    description(shard.desc[r]);
    const people = shard.by[r];
    $("manga-people").hidden = !people.length;
    $("manga-people").textContent = people.length ? "By " + people.map(([name, role]) => name + " (" + role + ")").join(", ") : "";
    $("related-box").hidden = true;
    $("more-by").replaceChildren();
  }

  // The description, sanitized at build time, folded to a few lines when longer; folded, its
  // links are inert (not a Tab stop each on the way to the recommendations) until unfolded.
  function description(html) {
    const desc = $("manga-desc"), more = $("desc-more");
    desc.innerHTML = html;
    desc.classList.add("folded");
    const long = desc.scrollHeight > desc.clientHeight + 4;
    desc.classList.toggle("folded", long);
    desc.inert = long;
    more.hidden = !long;
  }
  $("desc-more").addEventListener("click", () => {
    $("manga-desc").classList.remove("folded");
    $("manga-desc").inert = false;
    $("desc-more").hidden = true;
  });

  // --- filters, guards and the view, all kept in the URL --------------------------------------

  const GUARDS = ["tags", "rating", "doujinshi"];
  const FACETS = ["lang", "status", "demo"];
  const defaultModels = () => cat.models.filter((mo) => mo.on).map((mo) => mo.name);
  const year = (box) => { const y = parseInt(box.value, 10); return Number.isInteger(y) ? y : null; };

  function filters() {
    const checked = (name) => Array.from(document.querySelectorAll("input[name=" + name + "]:checked")).map((x) => x.value);
    const f = { ratings: new Set(checked("rating")), models: new Set(checked("model")), guards: new Set(checked("guard")),
      series: $("show-series").checked, minShared: Number($("min-shared").value), from: year($("f-from")),
      to: year($("f-to")), lib: $("f-lib").checked };
    for (const name of FACETS) f[name] = cat.facets[name].indexOf($("f-" + name).value);  // -1: any
    return f;
  }

  function fromUrl() {
    const list = (name) => { const v = Site.param(name); return v === null ? null : new Set(v.split(",").filter(Boolean)); };
    const models = list("models") || new Set(defaultModels());
    const guards = list("guards") || new Set(GUARDS);
    document.querySelectorAll("input[name=model]").forEach((box) => { box.checked = models.has(box.value); });
    document.querySelectorAll("input[name=guard]").forEach((box) => { box.checked = guards.has(box.value); });
    const ratings = list("ratings") || new Set(Site.contract.default_ratings);
    document.querySelectorAll("input[name=rating]").forEach((box) => { box.checked = ratings.has(box.value); });
    $("show-series").checked = Site.param("series") === "1";
    const shared = Number(Site.param("shared"));
    $("min-shared").value = String(Number.isInteger(shared) && shared >= 0 && shared <= 4 ? shared : 0);
    for (const name of FACETS) {
      const v = Site.param(name);
      $("f-" + name).value = v !== null && cat.facets[name].includes(v) ? v : "";
    }
    for (const name of ["from", "to"]) {
      const y = parseInt(Site.param(name), 10);
      $("f-" + name).value = Number.isInteger(y) ? String(y) : "";
    }
    $("f-lib").checked = Site.param("lib") === "hide";
    setView(Site.param("view") === "compare" ? "compare" : "one");
    const narrowed = ["models", "guards", "ratings", "series", "shared", "from", "to", "lib"].concat(FACETS)
      .some((name) => Site.param(name) !== null);
    if (narrowed) $("filters-box").open = true;
  }

  // Only what differs from the defaults goes in the URL, so a shared link stays short. A manga is
  // named by its MangaDex id, or, in links to manga not yet loaded, by its catalogue index (m),
  // which the page turns into the id once it loads.
  function urlParams({ id = null, m = null }) {
    const f = filters();
    const models = Array.from(f.models).sort(), usual = defaultModels().sort();
    const out = { id, m: id ? null : m, view: view === "compare" ? "compare" : null,
      models: models.join(",") !== usual.join(",") ? (models.length ? models : ["none"]) : null,
      guards: f.guards.size !== GUARDS.length ? (f.guards.size ? Array.from(f.guards) : ["none"]) : null,
      ratings: sameSet(f.ratings, Site.contract.default_ratings) ? null : (f.ratings.size ? Array.from(f.ratings) : ["none"]),
      series: f.series ? "1" : null, shared: f.minShared || null, from: f.from, to: f.to, lib: f.lib ? "hide" : null };
    for (const name of FACETS) out[name] = f[name] >= 0 ? cat.facets[name][f[name]] : null;
    return out;
  }

  const sameSet = (set, list) => set.size === list.length && list.every((x) => set.has(x));

  let view = "one";
  function setView(next) {
    view = next;
    $("view-compare").setAttribute("aria-pressed", String(view === "compare"));
    $("columns").classList.toggle("compare", view === "compare");
  }
  // One toggle (pressed: the models side by side), one Tab stop between the pick and its list.
  $("view-compare").addEventListener("click", () => {
    setView(view === "compare" ? "one" : "compare");
    if (current === null) return;
    Site.setUrl(urlParams({ id: current.id }));
    renderLists();
  });

  // The reader's library as catalogue indices (for "leave out manga in my library").
  let libraryIndices = { ids: null, set: new Set() };
  async function inLibrary() {
    const ids = Library.read();
    if (libraryIndices.ids !== ids.join(",")) {
      libraryIndices = { ids: ids.join(","), set: new Set((await Site.lookupIds(ids)).values()) };
    }
    return libraryIndices.set;
  }

  // Why j may not follow i: a guard (on by default) or the reader's own filters; null when it may.
  function blocked(i, j, f, same, mine) {
    const tags = info("tags", j), own = info("tags", i), rating = info("rating", j);
    if (!f.series && same.has(j)) return "series";
    if (f.guards.has("tags") && cat.guard_tags.some((t) => tags.includes(t) && !own.includes(t))) return "guard";
    if (f.guards.has("rating") && rating > info("rating", i)) return "guard";
    if (f.guards.has("doujinshi") && cat.doujinshi >= 0 && tags.includes(cat.doujinshi) &&
        !own.includes(cat.doujinshi)) return "guard";
    if (!f.ratings.has(RATINGS[rating])) return "filter";
    if (tags.filter((t) => own.includes(t)).length < f.minShared) return "filter";
    if (FACETS.some((name) => f[name] >= 0 && info(name, j) !== f[name])) return "filter";
    const y = info("year", j);
    if ((f.from !== null && !(y >= f.from)) || (f.to !== null && !(y <= f.to))) return "filter";
    if (mine.has(j)) return "filter";
    return null;
  }

  // The first `cat.show` listed manga that pass, and how many were left out for each reason.
  function passing(i, lists, f, same, mine) {
    const kept = [], left = { series: 0, guard: 0, filter: 0 };
    lists.idx.forEach((j, p) => {
      if (kept.length >= cat.show) return;
      const why = blocked(i, j, f, same, mine);
      if (why) left[why]++;
      else kept.push([j, lists.dist[p]]);
    });
    return { kept, left };
  }

  // A model's list for the picked manga: the default's from the pick shard, the others' fetched.
  async function listOf(model) {
    const { i, shard, r } = current;
    if (model.name === cat.default) {  // packed: 3 bytes an index, 1 a distance, in base64
      const raw = Uint8Array.from(atob(shard.list[r]), (c) => c.charCodeAt(0));
      const idx = [];
      for (let p = 0; p < raw.length; p += 3) idx.push(raw[p] | (raw[p + 1] << 8) | (raw[p + 2] << 16));
      return { idx, dist: Array.from(atob(shard.dist[r]), (c) => model.lo + c.charCodeAt(0) * model.step) };
    }
    const file = await Site.fetchNeighbours(model, Math.floor(i / cat.compare_size), cat.k);
    return { idx: file.idx[i - file.start], dist: file.dist[i - file.start] };
  }

  // A link to manga j in this page (its title); a click picks it without leaving the page.
  function mangaLink(j, attrs) {
    const title = info("title", j);
    const a = el("a", { href: Site.query(urlParams({ m: j })), dir: "auto", ...attrs }, title);
    a.addEventListener("click", (e) => { e.preventDefault(); choose(j, title); });
    return a;
  }

  function item(i, j, dist, agree) {
    const mine = new Set(info("tags", i)), year = info("year", j);
    const li = el("li", { class: "neighbour" });
    const head = el("div", { class: "n-head" });
    head.append(mangaLink(j, { class: "n-title" }));
    if (year) head.append(el("span", { class: "year" }, String(year)));
    head.append(el("span", { class: "dist", title: "distance (lower is closer)" }, dist.toFixed(3)));
    if (agree > 1) head.append(el("span", { class: "agree", title: "listed by " + agree + " of the models shown" }, "in " + agree + " lists"));
    const shared = info("tags", j).filter((t) => mine.has(t));
    const why = el("ul", { class: "tags small", "aria-label": "Shared tags" });
    Site.tagChips(why, cat.tags, shared.slice(0, 6));
    if (shared.length > 6) why.append(el("li", { class: "tag more" }, "+" + (shared.length - 6)));
    li.append(head, why);
    return li;
  }

  function leftNote(left) {
    const parts = [];
    if (left.series) parts.push(left.series + " of its own series (listed under Related)");
    if (left.guard) parts.push(left.guard + " by the guards");
    if (left.filter) parts.push(left.filter + " by your filters");
    return parts.length ? "Left out: " + parts.join(", ") + "." : "";
  }

  function column(i, model, lists, found, counts) {
    const col = el("section", { class: "column", "data-model": model.name, "aria-label": model.label });
    if (view === "compare") {
      col.append(el("h3", {}, model.label));
      col.append(el("p", { class: "model-summary" }, model.summary));
    }
    if (model.name !== cat.default && !info("tags", i).length && !lists.idx.length) {
      col.append(el("p", { class: "status" }, "This manga has no tags on MangaDex: " + model.label +
        " knows manga only by their tags. " + labelOf(cat.default) + " places it by its titles and description."));
      return col;
    }
    const { kept, left } = found;
    const ol = el("ol", { class: "neighbours" });
    kept.forEach(([j, d]) => ol.append(item(i, j, d, view === "compare" ? counts.get(j) : 0)));
    col.append(ol);
    if (!kept.length) col.append(el("p", { class: "status" }, "No neighbour passes the guards and filters."));
    const note = leftNote(left);
    if (note) col.append(el("p", { class: "left-note" }, note));
    return col;
  }

  const labelOf = (name) => (cat.models.find((mo) => mo.name === name) || { label: name }).label;

  async function renderLists() {
    const pick = current, f = filters();
    const models = view === "compare" ? cat.models.filter((mo) => f.models.has(mo.name))
      : cat.models.filter((mo) => mo.name === cat.default);
    let lists, mine;
    try {
      // another model's list names any manga: their titles and tags are in the catalogue-wide columns
      const others = models.some((mo) => mo.name !== cat.default);
      [lists, mine] = await Promise.all([Promise.all(models.map(listOf)), f.lib ? inLibrary() : new Set(),
        others && !full ? Site.columns().then((c) => { full = c; }) : null]);
    } catch (err) {
      $("columns").replaceChildren(el("p", { class: "error" }, "Could not load the lists: " + err.message));
      return;
    }
    if (pick !== current) return;  // a newer pick won the race
    const same = new Set(pick.shard.same[pick.r]);
    const found = lists.map((l) => passing(pick.i, l, f, same, mine));
    const counts = new Map();  // in how many shown lists each manga appears: agreement, marked in compare
    for (const { kept } of found) for (const [j] of kept) counts.set(j, (counts.get(j) || 0) + 1);
    $("similar-note").textContent = view === "compare"
      ? (models.length ? "The models checked under “Filters and models”, side by side; “in N lists” marks manga several agree on."
        : "No model is checked under “Filters and models”.")
      : "From " + labelOf(cat.default) + ", the model this site's evaluation ranks best: " + cat.default_reason + ".";
    $("columns").replaceChildren(...models.map((mo, p) => column(pick.i, mo, lists[p], found[p], counts)));
  }

  // Related on MangaDex (the pick's direct links, with MangaDex's labels) and "More by" its people.
  function renderRelated() {
    const { shard, r } = current;
    const rel = shard.rel[r];
    $("related-box").hidden = !rel.length;
    $("related").replaceChildren(...rel.map(([j, label]) => {
      const li = el("li");
      li.append(el("span", { class: "rel-kind" }, label + ": "), mangaLink(j));
      return li;
    }));
    $("more-by").replaceChildren(...shard.by[r].filter(([, , others]) => others.length).map(([name, , others, total]) => {
      const box = el("section", { class: "more-by-box" });
      box.append(el("h2", {}, "More by " + name));
      const ul = el("ul", { class: "related" });
      for (const j of others) {
        const li = el("li");
        li.append(mangaLink(j));
        ul.append(li);
      }
      box.append(ul);
      if (total > others.length) box.append(el("p", { class: "left-note" }, (total - others.length) + " more on MangaDex."));
      return box;
    }));
  }

  async function restoreFromUrl() {
    fromUrl();
    const id = Site.param("id"), m = Site.param("m");
    if (id) {
      const found = Site.isId(id) ? (await Site.lookupIds([id])).get(id) : undefined;
      if (found !== undefined) select(found);
      else status.textContent = "No manga with id " + id + " in this catalogue.";
    } else if (m !== null && /^\d+$/.test(m) && Number(m) < cat.n) {
      select(Number(m));
    } else {
      ++picking;
      current = null;
      $("selection").hidden = true;
      $("intro").hidden = false;
      $("intro-head").hidden = false;
    }
  }

  $("filters").addEventListener("change", () => {
    if (current === null) return;
    Site.setUrl(urlParams({ id: current.id }));
    renderLists();
  });
  window.addEventListener("popstate", () => { restoreFromUrl().catch(failed); });

  // The reader's library (static/js/library.js), which the feed page ranks by: add or remove
  // the picked manga.
  function libraryButton() {
    const mine = current !== null && Library.has(current.id);
    $("library-toggle").textContent = mine ? "Remove from my library" : "Add to my library";
  }
  $("library-toggle").addEventListener("click", () => {
    if (current === null) return;
    if (Library.has(current.id)) Library.remove(current.id);
    else Library.add(current.id);
    libraryButton();
    if ($("f-lib").checked && current !== null) renderLists();
  });
  Library.onChange(libraryButton);

  function failed(err) {
    status.textContent = "Could not load the catalogue: " + err.message;
    status.classList.add("error");
  }
  start().then(restoreFromUrl).catch(failed);
})();
