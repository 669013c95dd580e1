// Explore: fuzzy title search over the catalogue index, then one manga's neighbours under every
// model, side by side. All catalogue text is inserted as text (textContent), never as HTML; the
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
    status.textContent = "Showing " + m.title[i] + " and its nearest manga under " +
      data.models.length + " models. Type to search again.";
    // each alternative title isolated: one right-to-left title must not reorder its neighbours
    $("manga-alt").replaceChildren(...m.alt[i].flatMap((t, n) => (n ? [" · "] : []).concat([el("bdi", {}, t)])));
    $("manga-meta").textContent = Site.known([m.year[i], m.status[i], RATINGS[m.rating[i]],
      Site.followsText(m.follows[i]), m.score[i] != null ? "rated " + m.score[i] : null]);
    Site.tagChips($("manga-tags"), data.tags, m.tags[i]);
    $("manga-link").href = Site.mangadexUrl(m.id[i]);
    libraryButton();
    description("");
    $("columns").replaceChildren(el("p", { class: "status" }, "Loading neighbours…"));
    let shard;
    try {
      shard = await shardFor(i);
    } catch (err) {
      $("columns").replaceChildren(el("p", { class: "error" }, "Could not load the neighbours: " + err.message));
      return;
    }
    if (current !== i) return;  // a newer selection won the race
    description(shard.desc[i - shard.start]);
    renderColumns(i, shard);
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

  function filters() {
    const checked = (name) => Array.from(document.querySelectorAll("input[name=" + name + "]:checked")).map((x) => x.value);
    return { ratings: new Set(checked("rating")), models: new Set(checked("model")),
      minShared: Number($("min-shared").value) };
  }

  // The models shown travel in the URL (?models=a,b) when they are not all of them.
  function modelsFromUrl() {
    const wanted = Site.param("models");
    const names = wanted ? new Set(wanted.split(",")) : null;
    if (names) $("filters-box").open = true;  // some models are off: show which
    document.querySelectorAll("input[name=model]").forEach((box) => { box.checked = !names || names.has(box.value); });
  }

  function urlParams(id) {
    const boxes = Array.from(document.querySelectorAll("input[name=model]"));
    const on = boxes.filter((b) => b.checked).map((b) => b.value);  // names are [a-z0-9_]
    return { id, models: on.length !== boxes.length ? on : null };
  }

  function renderColumns(i, shard) {
    const m = data.manga;
    const mine = new Set(m.tags[i]);
    const f = filters();
    const columns = $("columns");
    columns.replaceChildren();
    for (const model of data.models) {
      if (!f.models.has(model.name)) continue;
      const block = shard.models[model.name];
      const col = el("section", { class: "column", "data-model": model.name, "aria-label": model.label + " neighbours" });
      col.append(el("h2", {}, model.label));
      col.append(el("p", { class: "model-summary" }, model.summary));
      const ol = el("ol", { class: "neighbours" });
      const row = block.idx[i - shard.start], dist = block.dist[i - shard.start];
      let shown = 0;
      row.forEach((j, r) => {
        if (j < 0 || dist[r] === null) return;
        const shared = new Set(m.tags[j].filter((t) => mine.has(t)));
        if (!f.ratings.has(RATINGS[m.rating[j]]) || shared.size < f.minShared) return;
        shown++;
        const li = el("li", { class: "neighbour" });
        const head = el("div", { class: "n-head" });
        const a = el("a", { href: Site.query(urlParams(m.id[j])), class: "n-title", dir: "auto" }, m.title[j]);
        a.addEventListener("click", (e) => { e.preventDefault(); window.scrollTo(0, 0); choose(j); });
        head.append(a, el("span", { class: "dist", title: "distance (lower is closer)" }, dist[r].toFixed(3)));
        head.append(Site.mangadexLink(m.id[j], m.title[j]));
        const why = el("ul", { class: "tags small", "aria-label": "Shared tags" });
        Site.tagChips(why, data.tags, Array.from(shared).sort((x, y) => x - y));
        li.append(head, why);
        ol.append(li);
      });
      col.append(ol);
      if (!shown) col.append(el("p", { class: "status" }, "No neighbour passes the filters."));
      columns.append(col);
    }
  }

  function restoreFromUrl() {
    modelsFromUrl();
    const id = Site.param("id");
    if (id && byId.has(id)) { input.value = data.manga.title[byId.get(id)]; select(byId.get(id)); }
    else if (id) status.textContent = "No manga with id " + id + " in this catalogue.";
    else { $("selection").hidden = true; $("intro").hidden = false; $("intro-head").hidden = false; current = null; }
  }

  $("filters").addEventListener("change", (e) => {
    if (current === null) return;
    if (e.target.name === "model") Site.setUrl(urlParams(data.manga.id[current]));
    shardFor(current).then((s) => renderColumns(current, s), () => {});  // select() said why it failed
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
