// The reader's library: the manga they like, kept in this browser only (localStorage), shared by
// the explore page (its "Add to my library" button) and the feed page (which ranks by it).
// Only manga ids are stored. Storage is untrusted on read: anything that is not a list of ids is
// dropped, and storage that cannot be read or parsed counts as an empty library, never an error.
// Its key, layout version and largest size come from the site contract (static/js/site.js).
(function () {
  "use strict";

  const { key: KEY, version: VERSION, max: MAX } = Site.contract.library;

  function clean(ids) {
    const out = [];
    const seen = new Set();
    for (const id of Array.isArray(ids) ? ids : []) {
      if (Site.isId(id) && !seen.has(id)) { seen.add(id); out.push(id); }
      if (out.length === MAX) break;
    }
    return out;
  }

  // Ids in the order they were added; [] when storage is empty, blocked or corrupt.
  function read() {
    try {
      const raw = window.localStorage.getItem(KEY);
      if (raw === null) return [];
      const stored = JSON.parse(raw);
      return clean(stored && stored.version === VERSION ? stored.ids : []);
    } catch (err) {
      return [];  // storage disabled (private mode, policy) or not JSON: start afresh
    }
  }

  // True when stored; false when the browser refuses (quota, storage disabled).
  function write(ids) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify({ version: VERSION, ids: clean(ids) }));
      return true;
    } catch (err) {
      return false;
    }
  }

  function has(id) { return read().includes(id); }
  function add(id) { return Site.isId(id) && write(read().concat([id])); }
  function remove(id) { return write(read().filter((x) => x !== id)); }

  // Another tab changed the library: call back with the new ids.
  function onChange(callback) {
    window.addEventListener("storage", (e) => { if (e.key === KEY || e.key === null) callback(read()); });
  }

  window.Library = Object.freeze({ read, write, has, add, remove, onChange });
})();
