// Progress of a playbook's "run now" job: poll its status URL, show the status line and,
// once the job has finished, reload the page so the new run's list and effect appear.
(function () {
  "use strict";
  var box = document.getElementById("playbook-job");
  if (!box || box.getAttribute("data-active") !== "1") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var line = box.querySelector('[data-testid="job-status"]');
  var started = Date.now();
  var INTERVAL_MS = 1500;
  var GIVE_UP_MS = 30 * 60 * 1000; // a job older than this is taken as lost (see the view)

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        line.textContent = state.text;
        box.setAttribute("data-status", state.status);
        if (!state.active) {
          window.location.reload();
        } else if (Date.now() - started < GIVE_UP_MS) {
          window.setTimeout(poll, INTERVAL_MS);
        }
      })
      .catch(function () {
        if (Date.now() - started < GIVE_UP_MS) {
          window.setTimeout(poll, INTERVAL_MS * 4);
        }
      });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();
