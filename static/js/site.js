// The one module every page shares. It reads the site contract that the build embeds in each page
// (#site-contract, from sitegen/site/contract.py) and gives the pages what they would otherwise
// restate: where each data file lives and which layout version it must hold, the id pattern, the
// pages' addresses, MangaDex links; plus small DOM and URL helpers and tag chips (the title search
// is static/js/titles.js). Catalogue text is always inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  function deepFreeze(value) {
    if (value !== null && typeof value === "object") Object.values(value).forEach(deepFreeze);
    return Object.freeze(value);
  }

  const contract = deepFreeze(JSON.parse(document.getElementById("site-contract").textContent));
  const idPattern = new RegExp(contract.id_pattern);

  // --- DOM --------------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  // A new element with attributes and, optionally, text (never HTML).
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- data files -------------------------------------------------------------------------------

  // Where a data file lives: the contract's path, with a numbered file's number zero-padded and a
  // per-model file's model name filled in.
  function dataPath(kind, n, model) {
    const file = Object.hasOwn(contract.files, kind) ? contract.files[kind] : null;
    if (!file) throw new Error("the site contract names no data file " + JSON.stringify(kind));
    let path = file.path;
    if (path.includes("{m}")) {
      if (typeof model !== "string" || !/^[a-z0-9_]{1,40}$/.test(model)) throw new Error(path + " needs a model name, got " + model);
      path = path.replace("{m}", model);
    }
    if (!path.includes("{n}")) return path;
    if (!Number.isInteger(n) || n < 0) throw new Error(file.path + " needs a number >= 0, got " + n);
    return path.replace("{n}", String(n).padStart(file.digits, "0"));
  }

  // The data file, parsed; a clear Error when it cannot be fetched or holds another layout version.
  async function fetchData(kind, n) {
    const path = dataPath(kind, n);
    if (cache.has(path)) return cache.get(path);
    const loading = loadData(kind, path);
    cache.set(path, loading);
    loading.catch(() => cache.delete(path));  // a failed fetch may be tried again
    return loading;
  }
  const cache = new Map();  // path -> promise of its data: every file is fetched once a page

  // A file stored gzipped (hosts send it as it is; one that sent it as a Content-Encoding had the
  // browser inflate it already), inflated.
  async function inflated(buffer) {
    const head = new Uint8Array(buffer, 0, Math.min(2, buffer.byteLength));
    if (head[0] !== 0x1f || head[1] !== 0x8b) return buffer;
    return new Response(new Blob([buffer]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
  }

  async function loadData(kind, path) {
    const response = await fetch(path);
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    let data;
    try {
      data = path.endsWith(".gz") ? JSON.parse(new TextDecoder().decode(await inflated(await response.arrayBuffer())))
        : await response.json();
    } catch (err) {
      throw new Error(path + " is not valid JSON: rebuild the site with python build.py");
    }
    const wanted = contract.files[kind].version;
    const found = data !== null && typeof data === "object" ? data.version : undefined;
    if (found !== wanted) {
      throw new Error(path + (found === undefined ? " holds no layout version" : " holds layout version " + found) +
        ", this page reads version " + wanted + ": rebuild the site with python build.py");
    }
    return data;
  }

  // One model's lists for a run of manga (sitegen/site/packed.py, one model a file, gzipped): a
  // 20-byte header, then the indices (3 bytes each, little-endian; all ones: none) and the distance
  // bytes (lo + byte * step; 255: none). Returns {start, idx: [[...]], dist: [[...]]}.
  async function fetchNeighbours(model, n, k) {
    const path = dataPath("neighbours", n, model.name);
    if (!cache.has(path)) {
      const loading = loadNeighbours(path, model, k);
      cache.set(path, loading);
      loading.catch(() => cache.delete(path));
    }
    return cache.get(path);
  }

  async function loadNeighbours(path, model, k) {
    const response = await fetch(path);
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    const bytes = new Uint8Array(await inflated(await response.arrayBuffer()));  // stored gzipped
    const view = new DataView(bytes.buffer);
    const rebuild = ": rebuild the site with python build.py";
    const magic = bytes.length >= 20 ? String.fromCharCode(...bytes.subarray(0, 4)) : "";
    if (magic !== "MRNB") throw new Error(path + " is not a neighbour shard" + rebuild);
    const version = view.getUint8(4), width = view.getUint8(5), kk = view.getUint16(6, true);
    const start = view.getUint32(8, true), count = view.getUint32(12, true), nModels = view.getUint16(16, true);
    if (version !== contract.files.neighbours.version || width !== 3) {
      throw new Error(path + " holds layout version " + version + ", this page reads version " +
        contract.files.neighbours.version + rebuild);
    }
    const cells = count * kk;
    if (kk !== k || nModels !== 1 || bytes.length !== 20 + cells * 4) {
      throw new Error(path + " does not match the catalogue index" + rebuild);
    }
    const idx = [], dist = [];
    for (let r = 0; r < count; r++) {
      const ir = [], dr = [];
      for (let c = 0; c < kk; c++) {
        const p = 20 + 3 * (r * kk + c);
        const j = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16);
        const q = bytes[20 + 3 * cells + r * kk + c];
        if (j === 0xffffff || q === 255) continue;
        ir.push(j);
        dr.push(model.lo + q * model.step);
      }
      idx.push(ir);
      dist.push(dr);
    }
    return { start, idx, dist };
  }

  // --- the catalogue: its index, the list columns, ids ----------------------------------------

  // catalogue.json: the catalogue's shape, tags, models and the title index's layout (small).
  const catalogue = () => fetchData("catalogue");
  // What lists show and filter by, for every manga (titles, years, tags, ratings, facets); about
  // 1.4 MB gzipped at 110,000 manga, so fetched only when a list is about to be drawn.
  const columns = () => fetchData("columns");

  // The catalogue indices of MangaDex ids (a Map; ids not in this catalogue are left out), from
  // the id buckets: only the buckets those ids fall in are fetched.
  async function lookupIds(ids) {
    const cat = await catalogue();
    const wanted = ids.filter(isId);
    const buckets = Array.from(new Set(wanted.map((id) => parseInt(id.slice(0, 4), 16) % cat.id_buckets)));
    const found = await Promise.all(buckets.map((b) => fetchData("ids", b)));
    const all = new Map();
    for (const bucket of found) bucket.ids.forEach((id, p) => all.set(id, bucket.index[p]));
    return new Map(wanted.filter((id) => all.has(id)).map((id) => [id, all.get(id)]));
  }

  // The pick shard of manga i and i's row in it.
  async function pick(i) {
    const cat = await catalogue();
    if (!Number.isInteger(i) || i < 0 || i >= cat.n) throw new Error("no manga " + i + " in this catalogue");
    const shard = await fetchData("shard", Math.floor(i / cat.shard_size));
    return { shard, r: i - shard.start };
  }

  // --- ids and addresses ------------------------------------------------------------------------

  function isId(id) {
    return typeof id === "string" && idPattern.test(id);
  }

  // "?a=1&b=x,y" from {a: 1, b: ["x", "y"]}; empty values are left out, lists joined by commas
  // (kept readable: a comma needs no escaping in a query).
  function query(params) {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v === null || v === undefined || v === "") continue;
      search.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
    const text = search.toString().replace(/%2C/g, ",");
    return text ? "?" + text : "";
  }

  // A page of the site by its contract key ("explore", "maps", "feed"), with query parameters.
  function pageUrl(key, params) {
    const file = Object.hasOwn(contract.pages, key) ? contract.pages[key] : null;
    if (!file) throw new Error("the site contract names no page " + JSON.stringify(key));
    return file + query(params);
  }

  function mangadexUrl(id) {
    return isId(id) ? contract.mangadex_title_url + id : new URL(contract.mangadex_title_url).origin + "/";
  }

  // The "MangaDex ↗" link beside a title.
  function mangadexLink(id, title) {
    return el("a", { href: mangadexUrl(id), class: "md", rel: "noopener", target: "_blank",
      "aria-label": "Open " + title + " on MangaDex" }, "MangaDex ↗");
  }

  // --- the page's URL ---------------------------------------------------------------------------

  function param(name) {
    return new URLSearchParams(location.search).get(name);
  }

  // Put params in the address bar: replaced (the default) or pushed as a new history entry.
  function setUrl(params, { push = false, state = history.state } = {}) {
    const url = query(params) || location.pathname;
    if (push) history.pushState(state, "", url);
    else history.replaceState(state, "", url);
  }

  // --- facts about a manga ----------------------------------------------------------------------

  // The known ones of `facts`, joined by " · ": null, undefined, "" and NaN are unknowns, left out.
  function known(facts) {
    return facts.filter((x) => x !== null && x !== undefined && x !== "" && !Number.isNaN(x)).join(" · ");
  }

  // "1,234 follows", or null when unknown. The catalogue stores a missing statistic as 0 follows
  // (a catalogue fetched without statistics has 0 for every manga), so 0 is never shown.
  function followsText(n) {
    return Number.isFinite(n) && n > 0 ? n.toLocaleString("en") + (n === 1 ? " follow" : " follows") : null;
  }

  // --- tag chips --------------------------------------------------------------------------------

  // Fill `list` (a <ul>) with chips for tag columns `tagIdx` of `tags` (catalogue.json's tags),
  // those in the Set `shared` highlighted. Returns the list.
  function tagChips(list, tags, tagIdx, shared) {
    list.replaceChildren(...tagIdx.map((t) =>
      el("li", { class: "tag g-" + tags[t].group + (shared && shared.has(t) ? " shared" : "") }, tags[t].name)));
    return list;
  }

  window.Site = Object.freeze({
    contract, $, el, dataPath, fetchData, fetchNeighbours, inflated, catalogue, columns, lookupIds, pick, isId, query,
    pageUrl, mangadexUrl, mangadexLink, param, setUrl, known, followsText, tagChips,
  });
})();
