// Refuge back office: optional help for the editor. Everything works
// without it; it only adds an autosave every 30 seconds, a warning before
// leaving with unsaved changes, and inserting images at the cursor.
// Served from this site (no inline script): the back office's policy
// allows scripts from 'self' only.
(function () {
  "use strict";
  var form = document.querySelector("form.editor");
  if (!form) { return; }
  var dirty = false;
  var changedSinceAutosave = false;
  var status = document.getElementById("autosave-status");
  var saving = false;

  function mark() { dirty = true; changedSinceAutosave = true; }
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function fields() {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") { data.append(name, value); }
    });
    data.set("place", form.getAttribute("action"));
    return data;
  }

  function autosave() {
    if (!changedSinceAutosave || saving || form.querySelector("fieldset[disabled]")) { return; }
    saving = true;
    changedSinceAutosave = false;
    fetch("/admin/autosave", {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: fields().toString()
    }).then(function (response) {
      // 204 only: a redirect (the session ended) or an error is not saved.
      var saved = response.status === 204;
      if (status) {
        status.textContent = saved ? status.getAttribute("data-saved").replace("{time}", new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })) : status.getAttribute("data-failed");
      }
      if (!saved) { changedSinceAutosave = true; }
    }).catch(function () {
      changedSinceAutosave = true;
      if (status) { status.textContent = status.getAttribute("data-failed"); }
    }).then(function () { saving = false; });
  }
  setInterval(autosave, 30000);

  // "Insert" in the image list: at the cursor rather than at the end.
  var body = document.getElementById("body");
  Array.prototype.forEach.call(document.querySelectorAll("button[name=insert_media]"), function (button) {
    button.addEventListener("click", function (event) {
      var markdown = button.getAttribute("data-markdown");
      if (!body || !markdown) { return; }
      event.preventDefault();
      var start = body.selectionStart, end = body.selectionEnd, text = body.value;
      var before = text.slice(0, start), after = text.slice(end);
      var insert = (before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "") + markdown + "\n\n";
      body.value = before + insert + after;
      body.focus();
      body.selectionStart = body.selectionEnd = before.length + insert.length;
      mark();
    });
  });
})();
