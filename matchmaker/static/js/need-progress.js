// Need page (enterprise): while the need is being matched, ask how it stands and reload once
// its matching has ended or its stage has changed, so the server renders the new state.
// Without JavaScript the page is static and a reload shows the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  var stage = box.getAttribute("data-stage");
  var delay = 2000;
  var giveUp = Date.now() + 15 * 60 * 1000;  // a long import's share: the page stops asking

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        if (!state.being_matched || state.stage !== stage) { window.location.reload(); return; }
        delay = Math.min(delay * 1.3, 15000);
        if (Date.now() < giveUp) { window.setTimeout(poll, delay); }
      })
      .catch(function () { if (Date.now() < giveUp) { window.setTimeout(poll, 15000); } });
  }
  window.setTimeout(poll, delay);
}());
