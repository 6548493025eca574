// Job page: poll the job's JSON status and update the progress; reload once it has finished,
// so the server renders the final report (or open what it made: data-job-done-url). Without JavaScript the page is simply static.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-job-status-url");
  var delay = 1500;

  function field(name) { return box.querySelector('[data-job-field="' + name + '"]'); }

  function show(state) {
    var label = field("status_label");
    if (label) {
      label.textContent = state.status_label;
      label.className = "job-status job-status-" + state.status;
    }
    var bar = field("percent");
    if (bar && state.percent !== null) { bar.value = state.percent; bar.textContent = state.percent + "%"; }
    var counts = field("counts");
    if (counts && state.total) { counts.textContent = state.done + "/" + state.total; }
    var note = field("note");
    if (note) { note.textContent = state.note || ""; note.hidden = !state.note; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        show(state);
        if (state.finished) {
          // a job that made a file for the reader (a booklet) opens it; any other shows its report
          var done = box.getAttribute("data-job-done-url");
          if (done && state.status === "succeeded") { window.location.assign(done); } else { window.location.reload(); }
          return;
        }
        delay = Math.min(delay * 1.2, 10000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, delay);
}());
