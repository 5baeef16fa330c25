// The review console's script. Every page works without it; it adds the
// queue's keyboard shortcuts, the lease countdown and the live counts.
// No framework, no request to anywhere but this server.
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // The lease countdown: the time left, every second, from the
  // element's datetime (the page prints the time itself for no script).
  function countdown(el) {
    var end = Date.parse(el.getAttribute("datetime"));
    if (isNaN(end)) return;
    var printed = el.textContent;
    function tick() {
      var left = Math.round((end - Date.now()) / 1000);
      if (left <= 0) {
        el.textContent = printed + " (lapsed: reload to see what you still hold)";
        clearInterval(timer);
        return;
      }
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = "in " + m + ":" + (s < 10 ? "0" : "") + s + " (" + printed + ")";
    }
    var timer = setInterval(tick, 1000);
    tick();
  }
  document.querySelectorAll("[data-countdown]").forEach(countdown);

  // Live counts: server-sent events from the element's data-live URL.
  var counts = document.querySelector("[data-live]");
  if (counts && window.EventSource) {
    var source = new EventSource(counts.getAttribute("data-live"));
    source.addEventListener("counts", function (ev) {
      try {
        var c = JSON.parse(ev.data);
        if (c.text && counts.textContent !== c.text) counts.textContent = c.text;
      } catch (e) { /* a malformed event changes nothing */ }
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // The queue's keyboard.
  var flags = Array.prototype.slice.call(document.querySelectorAll("article.flag"));
  if (!flags.length) return;
  var current = -1;

  function focusFlag(i) {
    if (i < 0 || i >= flags.length) return;
    if (current >= 0) flags[current].classList.remove("current");
    current = i;
    var el = flags[i];
    el.classList.add("current");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }

  // Which flag a key acts on: the focused one, or the one holding focus.
  function active() {
    var el = document.activeElement;
    for (var i = 0; i < flags.length; i++) {
      if (flags[i] === el || flags[i].contains(el)) return i;
    }
    return current;
  }

  function nextUndecided(from) {
    for (var i = from + 1; i < flags.length; i++) {
      if (!flags[i].hasAttribute("data-decided")) return i;
    }
    return -1;
  }

  var names = { confirm: "confirmed", dismiss: "dismissed", escalate: "escalated" };

  function decide(i, decision) {
    var el = flags[i];
    if (!el || el.hasAttribute("data-decided") || el.getAttribute("aria-busy") === "true") return;
    var form = el.querySelector("form.decide");
    var out = el.querySelector(".outcome");
    var body = new URLSearchParams();
    body.set("decision", decision);
    body.set("note", form.elements.note.value);
    body.set("translation", form.elements.translation.value);
    el.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: body
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        el.removeAttribute("aria-busy");
        if (!resp.ok) {
          out.textContent = "Not decided: " + ((data.error && data.error.message) || ("status " + resp.status));
          return;
        }
        el.setAttribute("data-decided", decision);
        out.textContent = "Decided: " + (names[decision] || decision);
        Array.prototype.forEach.call(form.querySelectorAll("button, textarea"), function (c) { c.disabled = true; });
        var box = el.querySelector('input[type="checkbox"]');
        if (box) { box.checked = false; box.disabled = true; }
        var n = nextUndecided(i);
        if (n >= 0) focusFlag(n);
      });
    }).catch(function () {
      el.removeAttribute("aria-busy");
      out.textContent = "Not decided: the server could not be reached.";
    });
  }

  var help = document.getElementById("shortcuts");

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    var t = ev.target;
    var tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) {
      if (ev.key === "Escape" && t.blur) {
        var i0 = active();
        t.blur();
        if (i0 >= 0) focusFlag(i0);
      }
      return;
    }
    var i = active();
    switch (ev.key) {
      case "j": focusFlag(i < 0 ? 0 : Math.min(i + 1, flags.length - 1)); break;
      case "k": focusFlag(i < 0 ? 0 : Math.max(i - 1, 0)); break;
      case "c": if (i >= 0) decide(i, "confirm"); break;
      case "d": if (i >= 0) decide(i, "dismiss"); break;
      case "e": if (i >= 0) decide(i, "escalate"); break;
      case "x":
        if (i >= 0) {
          var box = flags[i].querySelector('input[type="checkbox"]');
          if (box && !box.disabled) box.checked = !box.checked;
        }
        break;
      case "n":
        if (i >= 0) flags[i].querySelector("textarea[name=note]").focus();
        break;
      case "?":
        if (help) { help.open = !help.open; if (help.open) help.querySelector("summary").focus(); }
        break;
      default:
        return;
    }
    ev.preventDefault();
  });
})();
