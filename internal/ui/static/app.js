// A form marked data-autosubmit (logout at the identity provider, which
// carries the ID token in the POST body rather than in a URL) goes at once;
// without JavaScript its button does the same.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosubmit]").forEach(function (f) { f.submit(); });
})();

// Live updates: the server sends an event whenever a watched object of this
// page's project changes; the page then fetches itself again and swaps each
// region marked data-live, leaving forms (and what you typed) alone.
(function () {
  "use strict";
  var scope = document.body.getAttribute("data-events");
  if (!scope || !window.EventSource) { return; }
  var timer = null;
  var updates = 0;
  function refresh() {
    timer = null;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          // Unchanged regions stay, so nothing flickers or loses focus.
          if (fresh && fresh.outerHTML !== el.outerHTML) { el.replaceWith(document.importNode(fresh, true)); }
        });
        updates++;
        document.body.setAttribute("data-updates", String(updates));
      })
      .catch(function () { /* the next event tries again */ });
  }
  var source = new EventSource("/events?" + scope);
  source.addEventListener("change", function () {
    if (timer === null) { timer = setTimeout(refresh, 200); }
  });
  // A change between the server rendering this page and the stream opening
  // (or while it reconnects) sends no event to this page: catch up once.
  source.addEventListener("open", function () {
    document.body.setAttribute("data-live-connected", "true");
    if (timer === null) { timer = setTimeout(refresh, 0); }
  });
})();
