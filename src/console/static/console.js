// The console's little script: the pages work without it; with it, progress bars follow an
// import live and a file can be dropped on the upload zone.
(function () {
  "use strict";

  // Live progress: polls each unfinished import's progress; reloads the page when one ends.
  var bars = document.querySelectorAll("progress[data-progress-url]");
  bars.forEach(function (bar) {
    var url = bar.getAttribute("data-progress-url");
    var text = document.querySelector('[data-progress-text="' + url + '"]');
    var timer = setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (progress) {
          if (!progress) { return; }
          bar.value = progress.percent;
          bar.textContent = progress.percent + " %";
          if (text) {
            text.textContent = progress.done +
              (progress.total ? " lignes sur " + progress.total : " lignes") +
              (progress.pace ? " — " + progress.pace : "");
          }
          if (progress.finished) {
            clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { /* the next tick tries again */ });
    }, 1000);
  });

  // Drag and drop on the upload zone: the dropped file becomes the input's file.
  var zone = document.querySelector("[data-drop-zone]");
  if (zone) {
    var input = zone.querySelector('input[type="file"]');
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("cdb-drop-zone--over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("cdb-drop-zone--over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (input && event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
      }
    });
  }
})();
