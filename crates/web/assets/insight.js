// The insight page, live: the server sends the figures section again
// (server-sent events named "figures") whenever its figures change, and
// this puts it in place. Without script the page works on reload.
(function () {
  "use strict";
  var figures = document.getElementById("figures");
  if (!figures || !window.EventSource) {
    return;
  }
  var source = new EventSource(figures.getAttribute("data-live"));
  var updates = 0;
  source.addEventListener("figures", function (event) {
    updates += 1;
    figures.innerHTML = event.data;
    figures.setAttribute("data-updates", String(updates));
  });
})();
