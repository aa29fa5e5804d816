// Job progress: while a job runs, ask its JSON status every two seconds and update the page in place;
// reload once it has finished so the result is shown. Without JavaScript the page refreshes itself.
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  var url = box && box.getAttribute("data-job-url");
  if (!url || !window.fetch) {
    return;
  }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-job-text]");
  var template = text ? text.getAttribute("data-template") : null;

  function show(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    bar.textContent = job.done + " / " + job.total;
    if (text && template) {
      text.textContent = template.replace("{done}", job.done).replace("{total}", job.total);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (job) {
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
          return;
        }
        show(job);
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 10000);
      });
  }

  window.setTimeout(poll, 2000);
})();
