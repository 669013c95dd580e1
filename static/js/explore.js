// Explore: title search over the catalogue index, then one manga: its related titles on MangaDex,
// one list of similar manga from the model the build's evaluation ranks best (its own series and
// guarded titles left out unless the reader asks), and any models side by side on demand. All catalogue text is inserted as text (textContent), never as HTML; the
// one exception is the description, which the build sanitized with an allowlist.
(function () {
  "use strict";

  const { $, el } = Site;
  const RATINGS = Site.contract.content_ratings;  // manga.rating[i] indexes these names
  const input = $("search-input");
  const list = $("search-results");
  const status = $("status");

  let data = null;        // the catalogue index
  let byId = new Map();   // manga id -> index
  let current = null;     // selected index
  const shardCache = new Map();

  async function loadIndex() {
    data = await Site.fetchData("catalogue");
    const m = data.manga;
    m.id.forEach((id, i) => byId.set(id, i));
    Site.titleSearch({
      input, list, prefix: "result-", manga: m, keys: m.id.map((_, i) => i),
      meta: (i) => Site.known([m.year[i], Site.followsText(m.follows[i])]),
      onChoose: (i) => choose(i),
      onResults: (found, needle, max) => {
        status.textContent = !needle ? "Type to search." : found ? found + (found === max ? "+" : "") +
          " matching titles; use ↑ ↓ and Enter, or click." : "No title matches “" + needle + "”.";
      },
    });
    status.textContent = m.id.length.toLocaleString("en") + " manga, " + data.models.length +
      " models. Type to search.";
  }

  function shardFor(i) {
    const number = Math.floor(i / data.shard_size);
    if (!shardCache.has(number)) {
      shardCache.set(number, Promise.all([Site.fetchData("shard", number),
        Site.fetchNeighbours(number, data.models, data.k)]).then(([text, lists]) => ({ ...text, models: lists.models })));
    }
    return shardCache.get(number);
  }

  // A reader's pick (search or a neighbour's link): into the URL, and focus to the manga's
  // heading, so that a screen reader reads it and Tab goes on to its recommendations.
  function choose(i, push = true) {
    input.value = data.manga.title[i];
    if (push) Site.setUrl(urlParams(data.manga.id[i]), { push: true, state: { id: data.manga.id[i] } });
    select(i);
    $("manga-title").focus();
  }

  async function select(i) {
    current = i;
    const m = data.manga;
    document.title = m.title[i] + " · Explore · mangarec";
    $("intro").hidden = true;
    $("intro-head").hidden = true;  // one h1 a state: the manga's title is the page's heading now
    $("selection").hidden = false;
    $("manga-title").textContent = m.title[i];
    // the one line a screen reader announces for a pick (the status line is the live region)
    status.textContent = "Showing " + m.title[i] + " and the manga most like it. Type to search again.";
    // each alternative title isolated: one right-to-left title must not reorder its neighbours
    $("manga-alt").replaceChildren(...m.alt[i].flatMap((t, n) => (n ? [" · "] : []).concat([el("bdi", {}, t)])));
    $("manga-meta").textContent = Site.known([m.year[i], m.status[i], RATINGS[m.rating[i]],
      Site.followsText(m.follows[i]), m.score[i] != null ? "rated " + m.score[i] : null]);
    Site.tagChips($("manga-tags"), data.tags, m.tags[i]);
    $("manga-link").href = Site.mangadexUrl(m.id[i]);
    libraryButton();
    description("");
    $("columns").replaceChildren(el("p", { class: "status" }, "Loading neighbours…"));
    $("related-box").hidden = true;
    $("manga-people").hidden = true;
    $("more-by").replaceChildren();
    let shard;
    try {
      shard = await shardFor(i);
    } catch (err) {
      $("columns").replaceChildren(el("p", { class: "error" }, "Could not load the neighbours: " + err.message));
      return;
    }
    if (current !== i) return;  // a newer selection won the race
    description(shard.desc[i - shard.start]);
    renderRelated(i, shard);
    renderLists(i, shard);
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
  const defaultModels = () => data.models.filter((mo) => mo.on).map((mo) => mo.name);

  function filters() {
    const checked = (name) => Array.from(document.querySelectorAll("input[name=" + name + "]:checked")).map((x) => x.value);
    return { ratings: new Set(checked("rating")), models: new Set(checked("model")), guards: new Set(checked("guard")),
      series: $("show-series").checked, minShared: Number($("min-shared").value) };
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
    setView(Site.param("view") === "compare" ? "compare" : "one");
    if (list("models") || list("guards") || list("ratings") || Site.param("series") || Site.param("shared")) {
      $("filters-box").open = true;
    }
  }

  // Only what differs from the defaults goes in the URL, so a shared link stays short.
  function urlParams(id) {
    const f = filters();
    const models = Array.from(f.models).sort(), usual = defaultModels().sort();
    return { id, view: view === "compare" ? "compare" : null,
      models: models.join(",") !== usual.join(",") ? (models.length ? models : ["none"]) : null,
      guards: f.guards.size !== GUARDS.length ? (f.guards.size ? Array.from(f.guards) : ["none"]) : null,
      ratings: sameSet(f.ratings, Site.contract.default_ratings) ? null : (f.ratings.size ? Array.from(f.ratings) : ["none"]),
      series: f.series ? "1" : null, shared: f.minShared || null };
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
    Site.setUrl(urlParams(data.manga.id[current]));
    shardFor(current).then((s) => renderLists(current, s), () => {});
  });

  // Why j may not follow i: a guard (on by default) or the reader's own filters; null when it may.
  function blocked(i, j, f, same) {
    const m = data.manga;
    if (!f.series && same.has(j)) return "series";
    if (f.guards.has("tags") && data.guard_tags.some((t) => m.tags[j].includes(t) && !m.tags[i].includes(t))) return "guard";
    if (f.guards.has("rating") && m.rating[j] > m.rating[i]) return "guard";
    if (f.guards.has("doujinshi") && data.doujinshi >= 0 && m.tags[j].includes(data.doujinshi) &&
        !m.tags[i].includes(data.doujinshi)) return "guard";
    if (!f.ratings.has(RATINGS[m.rating[j]])) return "filter";
    if (m.tags[j].filter((t) => m.tags[i].includes(t)).length < f.minShared) return "filter";
    return null;
  }

  // The first `data.show` listed manga that pass, and how many were left out for each reason.
  function passing(i, shard, model, f) {
    const r = i - shard.start, block = shard.models[model.name];
    const same = new Set(shard.same[r]);
    const kept = [], left = { series: 0, guard: 0, filter: 0 };
    block.idx[r].forEach((j, p) => {
      if (j < 0 || block.dist[r][p] === null || kept.length >= data.show) return;
      const why = blocked(i, j, f, same);
      if (why) left[why]++;
      else kept.push([j, block.dist[r][p]]);
    });
    return { kept, left };
  }

  function item(i, j, dist, agree) {
    const m = data.manga;
    const mine = new Set(m.tags[i]);
    const li = el("li", { class: "neighbour" });
    const head = el("div", { class: "n-head" });
    const a = el("a", { href: Site.query(urlParams(m.id[j])), class: "n-title", dir: "auto" }, m.title[j]);
    a.addEventListener("click", (e) => { e.preventDefault(); window.scrollTo(0, 0); choose(j); });
    head.append(a);
    if (m.year[j]) head.append(el("span", { class: "year" }, String(m.year[j])));
    head.append(el("span", { class: "dist", title: "distance (lower is closer)" }, dist.toFixed(3)));
    if (agree > 1) head.append(el("span", { class: "agree", title: "listed by " + agree + " of the models shown" }, "in " + agree + " lists"));
    const shared = m.tags[j].filter((t) => mine.has(t));
    const why = el("ul", { class: "tags small", "aria-label": "Shared tags" });
    Site.tagChips(why, data.tags, shared.slice(0, 6));
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

  function column(i, shard, model, found, counts) {
    const col = el("section", { class: "column", "data-model": model.name, "aria-label": model.label });
    if (view === "compare") {
      col.append(el("h3", {}, model.label));
      col.append(el("p", { class: "model-summary" }, model.summary));
    }
    const m = data.manga;
    if (model.name !== data.default && !m.tags[i].length && shard.models[model.name].idx[i - shard.start][0] < 0) {
      col.append(el("p", { class: "status" }, "This manga has no tags on MangaDex: " + model.label +
        " knows manga only by their tags. " + labelOf(data.default) + " places it by its titles and description."));
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

  const labelOf = (name) => (data.models.find((mo) => mo.name === name) || { label: name }).label;

  function renderLists(i, shard) {
    const f = filters();
    const models = view === "compare" ? data.models.filter((mo) => f.models.has(mo.name))
      : data.models.filter((mo) => mo.name === data.default);
    const found = models.map((mo) => passing(i, shard, mo, f));
    const counts = new Map();  // in how many shown lists each manga appears: agreement, marked in compare
    for (const { kept } of found) for (const [j] of kept) counts.set(j, (counts.get(j) || 0) + 1);
    $("similar-note").textContent = view === "compare"
      ? (models.length ? "The models checked under “Filters and models”, side by side; “in N lists” marks manga several agree on."
        : "No model is checked under “Filters and models”.")
      : "From " + labelOf(data.default) + ", the model this site's evaluation ranks best: " + data.default_reason + ".";
    $("columns").replaceChildren(...models.map((mo, p) => column(i, shard, mo, found[p], counts)));
  }

  // Related on MangaDex (the pick's direct links, with MangaDex's labels) and "More by" its people.
  function renderRelated(i, shard) {
    const m = data.manga, r = i - shard.start;
    const rel = shard.rel[r];
    $("related-box").hidden = !rel.length;
    $("related").replaceChildren(...rel.map(([j, label]) => {
      const a = el("a", { href: Site.query(urlParams(m.id[j])), dir: "auto" }, m.title[j]);
      a.addEventListener("click", (e) => { e.preventDefault(); window.scrollTo(0, 0); choose(j); });
      const li = el("li");
      li.append(el("span", { class: "rel-kind" }, label + ": "), a);
      return li;
    }));
    const people = shard.by[r];
    $("manga-people").hidden = !people.length;
    $("manga-people").textContent = people.length ? "By " + people.map(([name, role]) => name + " (" + role + ")").join(", ") : "";
    $("more-by").replaceChildren(...people.filter(([, , others]) => others.length).map(([name, , others, total]) => {
      const box = el("section", { class: "more-by-box" });
      box.append(el("h2", {}, "More by " + name));
      const ul = el("ul", { class: "related" });
      for (const j of others) {
        const a = el("a", { href: Site.query(urlParams(m.id[j])), dir: "auto" }, m.title[j]);
        a.addEventListener("click", (e) => { e.preventDefault(); window.scrollTo(0, 0); choose(j); });
        const li = el("li");
        li.append(a);
        ul.append(li);
      }
      box.append(ul);
      if (total > others.length) box.append(el("p", { class: "left-note" }, (total - others.length) + " more on MangaDex."));
      return box;
    }));
  }

  function restoreFromUrl() {
    fromUrl();
    const id = Site.param("id");
    if (id && byId.has(id)) { input.value = data.manga.title[byId.get(id)]; select(byId.get(id)); }
    else if (id) status.textContent = "No manga with id " + id + " in this catalogue.";
    else { $("selection").hidden = true; $("intro").hidden = false; $("intro-head").hidden = false; current = null; }
  }

  $("filters").addEventListener("change", () => {
    if (current === null) return;
    Site.setUrl(urlParams(data.manga.id[current]));
    shardFor(current).then((s) => renderLists(current, s), () => {});  // select() said why it failed
  });
  window.addEventListener("popstate", restoreFromUrl);

  // The reader's library (static/js/library.js), which the feed page ranks by: add or remove
  // the selected manga.
  function libraryButton() {
    const mine = current !== null && Library.has(data.manga.id[current]);
    $("library-toggle").textContent = mine ? "Remove from my library" : "Add to my library";
  }
  $("library-toggle").addEventListener("click", () => {
    if (current === null) return;
    const id = data.manga.id[current];
    if (Library.has(id)) Library.remove(id);
    else Library.add(id);
    libraryButton();
  });
  Library.onChange(libraryButton);

  loadIndex().then(restoreFromUrl).catch((err) => {
    status.textContent = "Could not load the catalogue: " + err.message;
    status.classList.add("error");
  });
})();
