// Maps page data (read by static/js/plots.js): the binary map files and the manga's tags, checked
// against the site contract like the JSON files are, the hover grid, and what colours and
// selections are made of. Pure functions of the loaded data; nothing here touches the page.
(function () {
  "use strict";

  const REBUILD = ": rebuild the site with python build.py";
  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7",
    "#9c755f", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#17becf"];
  const GREY = { several: "rgba(120, 120, 120, 0.35)", other: "rgba(90, 90, 90, 0.45)", none: "rgba(190, 190, 190, 0.35)" };
  const GRID = 128;  // hover grid: cells per side over [-1, 1]

  // --- data ------------------------------------------------------------------------------------

  // A binary map file: 16-byte header (magic, version at byte 4, width, count, total), checked
  // against the contract like the JSON files are.
  async function fetchBinary(kind, n, magic) {
    const path = Site.dataPath(kind, n);
    const response = await fetch(path);
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    const buffer = await Site.inflated(await response.arrayBuffer());  // stored gzipped by the build
    const view = new DataView(buffer);
    const found = buffer.byteLength >= 16 ? String.fromCharCode(...new Uint8Array(buffer, 0, 4)) : "";
    if (found !== magic) throw new Error(path + " is not a map file" + REBUILD);
    const version = view.getUint8(4), wanted = Site.contract.files[kind].version;
    if (version !== wanted) {
      throw new Error(path + " holds layout version " + version + ", this page reads version " + wanted + REBUILD);
    }
    return { buffer, width: view.getUint8(5), count: view.getUint32(8, true), total: view.getUint32(12, true), path };
  }

  // The demographics alone, from the maps index (one digit a manga), for a first map coloured by
  // demographic before the manga file is in: {demo, count}, without tags.
  function demographicsOf(index) {
    const digits = index.demographic;
    if (typeof digits !== "string") return null;  // an index from before it carried them
    if (digits.length !== index.manga) throw new Error(Site.dataPath("projections") + " does not match its maps" + REBUILD);
    const demo = new Uint8Array(digits.length);
    for (let i = 0; i < digits.length; i++) demo[i] = digits.charCodeAt(i) - 48;
    return { demo, count: digits.length, start: null, tags: null };
  }

  async function loadInfo() {
    const { buffer, width, count, total, path } = await fetchBinary("map_manga", undefined, "MRMT");
    if (buffer.byteLength !== 16 + 3 * count + width * total) throw new Error(path + " is truncated" + REBUILD);
    const demo = new Uint8Array(buffer, 16, count);
    const counts = new Uint8Array(buffer, 16 + count, count);
    const popularity = new Uint8Array(buffer, 16 + 2 * count, count);  // follows, 8 steps a doubling
    const flat = width === 1 ? new Uint8Array(buffer, 16 + 3 * count, total) : new Uint16Array(buffer.slice(16 + 3 * count));
    const start = new Uint32Array(count + 1);
    for (let i = 0; i < count; i++) start[i + 1] = start[i] + counts[i];
    return { demo, start, tags: flat, popularity, count };
  }

  function tagsOf(info, i) {
    return info.tags.subarray(info.start[i], info.start[i + 1]);
  }

  // One map's coordinates (as many as the index maps: ``manga``, a number or its promise, so that a
  // map can travel with the index); their hover grid is made when first needed (gridOf), not
  // before the map is drawn.
  async function loadMap(file, mapped) {
    const [{ buffer, count, path }, manga] = await Promise.all([fetchBinary("map", file, "MRMP"), mapped]);
    if (count !== manga || buffer.byteLength !== 16 + 4 * count) throw new Error(path + " does not match the index" + REBUILD);
    const q = new Uint16Array(buffer, 16, 2 * count);
    const x = new Float32Array(count), y = new Float32Array(count);
    for (let i = 0; i < count; i++) { x[i] = q[i] / 65535 * 2 - 1; y[i] = q[count + i] / 65535 * 2 - 1; }
    return { x, y, grid: null };
  }

  function gridOf(map) {
    if (!map.grid) map.grid = grid(map.x, map.y);
    return map.grid;
  }

  // Points bucketed in a GRID x GRID grid over [-1, 1] (a counting sort): cell c holds
  // order[first[c] .. first[c + 1]).
  function grid(x, y) {
    const n = x.length, cell = new Uint32Array(n), first = new Uint32Array(GRID * GRID + 1);
    for (let i = 0; i < n; i++) {
      cell[i] = cellOf(x[i]) * GRID + cellOf(y[i]);
      first[cell[i] + 1]++;
    }
    for (let c = 0; c < GRID * GRID; c++) first[c + 1] += first[c];
    const fill = first.slice(0, GRID * GRID), order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[fill[cell[i]]++] = i;
    return { first, order };
  }

  function cellOf(v) {
    return Math.min(GRID - 1, Math.max(0, Math.floor((v + 1) / 2 * GRID)));
  }

  // --- colour ----------------------------------------------------------------------------------

  // The categories of a colouring: per manga its category, and each category's name and colour.
  // A tag group: each manga by its tag of that group ("several" / "none" greyed), the most common
  // PALETTE.length - 1 tags in colour, the rest as "other". Within a primary tag: manga without it
  // greyed, the others coloured as above.
  function colouring(index, info, group, primary) {
    const n = index.manga, byManga = new Int32Array(n);
    const groupTags = new Set();
    index.tags.forEach((t, c) => { if (t.group === group) groupTags.add(c); });
    const raw = new Int32Array(n);  // -1 none, -2 several, -3 without the primary tag, else its code
    const counts = new Map();
    const byTag = primary >= 0 || group !== "demographic";  // else the demographics are enough (no tags yet)
    for (let i = 0; i < n; i++) {
      const tags = byTag ? tagsOf(info, i) : null;
      if (primary >= 0 && !tags.includes(primary)) { raw[i] = -3; continue; }
      let code = -1;
      if (group === "demographic") code = info.demo[i] ? info.demo[i] : -1;
      else for (const t of tags) if (groupTags.has(t) && t !== primary) code = code === -1 ? t : -2;
      raw[i] = code;
      if (code >= 0) counts.set(code, (counts.get(code) || 0) + 1);
    }
    const ranked = Array.from(counts.keys()).sort((a, b) => counts.get(b) - counts.get(a) || a - b);
    const shown = ranked.slice(0, ranked.length > PALETTE.length ? PALETTE.length - 1 : PALETTE.length);
    const name = (code) => group === "demographic" ? index.demographics[code] : index.tags[code].name;
    const cats = shown.map((code, k) => ({ name: name(code), colour: PALETTE[k], n: 0 }));
    const slot = new Map(shown.map((code, k) => [code, k]));
    const extra = {};
    const add = (key, label, colour) => { extra[key] = cats.length; cats.push({ name: label, colour, n: 0, grey: true }); };
    if (ranked.length > shown.length) add("other", "other " + (group === "demographic" ? "demographics" : group + " tags"), GREY.other);
    add("several", "several", GREY.several);
    add("none", "none", GREY.none);
    if (primary >= 0) add("without", "without " + index.tags[primary].name, GREY.none);
    for (let i = 0; i < n; i++) {
      const code = raw[i];
      const k = code >= 0 ? (slot.has(code) ? slot.get(code) : extra.other) : code === -2 ? extra.several
        : code === -3 ? extra.without : extra.none;
      byManga[i] = k;
      cats[k].n++;
    }
    return { byManga, cats };
  }

  // Tags carried by at least a fifth of the selection and at least 1.5 times as common in it as on
  // the whole map, by lift.
  function overRepresented(index, info, idx) {
    const inSel = new Float64Array(index.tags.length), all = new Float64Array(index.tags.length);
    for (let i = 0; i < index.manga; i++) for (const t of tagsOf(info, i)) all[t]++;
    for (const i of idx) for (const t of tagsOf(info, i)) inSel[t]++;
    const out = [];
    index.tags.forEach((tag, t) => {
      const share = inSel[t] / idx.length, lift = share / (all[t] / index.manga);
      if (share >= 0.2 && lift >= 1.5) out.push({ t, share, lift });
    });
    return out.sort((a, b) => b.lift - a.lift || a.t - b.t).slice(0, 12);
  }

  window.MapData = Object.freeze({ GRID, PALETTE, REBUILD, cellOf, demographicsOf, loadInfo, loadMap, gridOf, tagsOf, colouring,
    overRepresented });
})();
