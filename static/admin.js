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

// Covering faces: an area drawn on the photo with the mouse or a finger
// fills in its four numbers; the editor then adds it (the form works
// without this, by typing them).
(function () {
  "use strict";
  var photo = document.getElementById("face-photo");
  if (!photo) { return; }
  var help = document.getElementById("draw-help");
  if (help) { help.hidden = false; }
  photo.classList.add("drawing");
  var start = null;
  function at(event) {
    var box = photo.getBoundingClientRect();
    var scale = Number(photo.getAttribute("data-width")) / box.width;
    var x = Math.round((event.clientX - box.left) * scale);
    var y = Math.round((event.clientY - box.top) * scale);
    var w = Number(photo.getAttribute("data-width"));
    var h = Number(photo.getAttribute("data-height"));
    return { x: Math.max(0, Math.min(w, x)), y: Math.max(0, Math.min(h, y)) };
  }
  photo.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    start = at(event);
    try { photo.setPointerCapture(event.pointerId); } catch (e) { /* the pointer is gone already */ }
  });
  photo.addEventListener("pointerup", function (event) {
    if (!start) { return; }
    var end = at(event);
    var values = {
      "area-x": Math.min(start.x, end.x), "area-y": Math.min(start.y, end.y),
      "area-width": Math.abs(end.x - start.x), "area-height": Math.abs(end.y - start.y)
    };
    start = null;
    if (values["area-width"] < 4 || values["area-height"] < 4) { return; }
    Object.keys(values).forEach(function (id) { document.getElementById(id).value = values[id]; });
    var status = document.getElementById("draw-status");
    if (status) {
      status.textContent = status.getAttribute("data-drawn")
        .replace("{x}", values["area-x"]).replace("{y}", values["area-y"])
        .replace("{width}", values["area-width"]).replace("{height}", values["area-height"]);
    }
    document.querySelector("button[value=add]").focus();
  });
}());
