/* Obole: the home timeline updates itself (the streaming server, obole.streaming).
 *
 * The home page names its stream in data-live-home (a ws:// or wss:// URL).
 * The WebSocket is authenticated by the member's session cookie, which the
 * browser sends to the streaming server of the same site. When a post
 * arrives, the new posts are asked of the web server as a fragment
 * (/home?since_id=… with X-Obole-Fragment: 1), rendered exactly as the rest of
 * the page, and put at the top; a deleted post leaves the page. If the
 * connection drops, it is opened again after a pause that grows to a minute.
 */
(function () {
  "use strict";

  var section = document.querySelector("[data-live-home]");
  if (!section || !window.WebSocket) return;
  var feed = section.querySelector("[data-feed]");
  if (!feed) return;

  var pause = 1000;
  var fetching = false;
  var again = false;

  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  function newestId() {
    var first = feed.querySelector("article[data-card]");
    return first ? first.getAttribute("data-card") : null;
  }

  function fetchNew() {
    if (fetching) { again = true; return; }
    fetching = true;
    var since = newestId();
    var url = "/home" + (since ? "?since_id=" + encodeURIComponent(since) : "");
    fetch(url, { headers: { "X-Obole-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html.trim();
        var items = template.content.querySelectorAll("[data-feed] > li:not(.empty)");
        var added = 0;
        for (var i = items.length - 1; i >= 0; i--) {
          var card = items[i].querySelector("article[data-card]");
          if (card && document.getElementById(card.id)) continue; // already shown
          feed.insertBefore(items[i], feed.firstChild);
          added++;
        }
        if (added) {
          var empty = feed.querySelector("li.empty");
          if (empty) empty.remove();
          announce(added === 1 ? "1 new post" : added + " new posts");
        }
      })
      .catch(function () {})
      .then(function () {
        fetching = false;
        if (again) { again = false; fetchNew(); }
      });
  }

  function removeCard(id) {
    var card = document.getElementById("status-" + id);
    if (card && card.parentNode && card.parentNode.parentNode === feed) card.parentNode.remove();
  }

  function connect() {
    var socket = new WebSocket(section.getAttribute("data-live-home"));
    socket.addEventListener("open", function () {
      pause = 1000;
      section.setAttribute("data-live", "open");
    });
    socket.addEventListener("message", function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.event === "update") fetchNew();
      else if (data.event === "delete") removeCard(data.payload);
    });
    socket.addEventListener("close", function () {
      section.setAttribute("data-live", "closed");
      window.setTimeout(connect, pause);
      pause = Math.min(pause * 2, 60000);
    });
  }

  connect();
})();
