// Breaking news and live updates without reloading (issue 12). Progressive
// enhancement: every page works, and shows the banner and the updates, with
// JavaScript off. One EventSource per page (GET /events); the browser resends
// Last-Event-ID when it reconnects, and the server replays what was missed.
(function () {
  "use strict";
  if (!window.EventSource || !document.querySelector) { return; }
  var live = document.getElementById("live-updates");
  var url = "/events";
  if (live && live.getAttribute("data-live") === "1") {
    url += "?story=" + encodeURIComponent(live.getAttribute("data-story")) +
      "&after=" + encodeURIComponent(live.getAttribute("data-seq") || "0");
  }
  var es = new EventSource(url);
  es.addEventListener("breaking", function (e) {
    var slot = document.getElementById("bs-breaking");
    if (slot) { slot.innerHTML = e.data; }
  });
  es.addEventListener("update", function (e) {
    if (!live) { return; }
    var u;
    try { u = JSON.parse(e.data); } catch (err) { return; }
    var list = live.querySelector("ol.live-list");
    if (!list) { return; }
    var old = document.getElementById("update-" + u.id);
    if (u.removed) {
      if (old) { old.parentNode.removeChild(old); }
      return;
    }
    var box = document.createElement("div");
    box.innerHTML = u.html;
    var item = box.firstElementChild;
    if (!item) { return; }
    if (old && old.getAttribute("data-pinned") === (u.pinned ? "1" : "0")) {
      list.replaceChild(item, old);
      return;
    }
    if (old) { old.parentNode.removeChild(old); }
    if (u.pinned) {
      list.insertBefore(item, list.firstElementChild);
      return;
    }
    // Newest first, below the pinned updates.
    var at = list.firstElementChild;
    while (at && at.getAttribute("data-pinned") === "1") { at = at.nextElementSibling; }
    list.insertBefore(item, at);
    var empty = live.querySelector(".live-empty");
    if (empty) { empty.parentNode.removeChild(empty); }
  });
})();
