// Similar ideas while the author types: after a pause in the title or summary, ask the API for the most alike
// public ideas and list them under the summary. Without fetch (or without JavaScript) nothing happens here and the
// "check for similar ideas" button does the same through the server.
(function () {
  "use strict";
  var box = document.getElementById("similar");
  var title = document.getElementById("f-title");
  var summary = document.getElementById("f-summary");
  var out = document.getElementById("similar-results");
  if (!box || !title || !summary || !out || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var timer = null;
  var asked = 0;
  var shown = title.value.trim() + "\n" + summary.value.trim();

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }

  function render(items) {
    var html = "<h2>" + esc(box.getAttribute("data-heading")) + "</h2>";
    if (!items.length) {
      html += "<p>" + esc(box.getAttribute("data-none")) + "</p>";
    } else {
      html += '<ul class="similar-list">';
      for (var i = 0; i < items.length; i++) {
        var it = items[i];
        var score = box.getAttribute("data-score").replace("{percent}", String(Math.round(it.score * 100)));
        html += '<li><a href="' + esc(it.url) + '" target="_blank" rel="noopener">' + esc(it.title) +
          '<span class="visually-hidden"> ' + esc(box.getAttribute("data-new-tab")) + "</span></a> " +
          '<span class="meta">' + esc(it.contest.title) + " · " + esc(score) + "</span><br>" +
          '<span class="meta">' + esc(it.summary) + "</span></li>";
      }
      html += "</ul>";
    }
    out.innerHTML = html;
  }

  function check() {
    var t = title.value.trim();
    var s = summary.value.trim();
    var key = t + "\n" + s;
    if (key === shown) {
      return;
    }
    shown = key;
    var mine = ++asked;
    if (!t && !s) {
      out.innerHTML = "";
      return;
    }
    var params = new URLSearchParams();
    params.set("title", t.slice(0, 150));
    params.set("summary", s.slice(0, 600));
    var exclude = box.getAttribute("data-exclude");
    if (exclude) {
      params.set("exclude", exclude);
    }
    window.fetch(box.getAttribute("data-api") + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (body) {
      // Only the answer to the latest question is shown; a failed check leaves the list as it was.
      if (mine === asked && body && body.items) {
        render(body.items);
      }
    }).catch(function () {});
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  }

  title.addEventListener("input", later);
  summary.addEventListener("input", later);
})();
