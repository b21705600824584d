// Newsroom editor: autosave, a local copy of what is typed, and live preview.
// Progressive: the form works without this file.
(function () {
  'use strict';
  var form = document.querySelector('form.story-form');
  if (!form || !window.fetch) return;
  var status = document.getElementById('autosave-status');
  var preview = document.getElementById('preview');
  var body = document.getElementById('body');
  var version = form.querySelector('input[name=version]');
  var csrf = form.querySelector('input[name=csrf]').value;
  var key = 'broadsheet-draft:' + form.getAttribute('action');
  var dirty = false;
  var saving = false;

  function say(text) { if (status) status.textContent = text; }

  // A copy in the browser, so a crash or a lost connection loses nothing.
  try {
    var kept = JSON.parse(localStorage.getItem(key) || 'null');
    if (kept && kept.version === version.value && kept.body !== body.value) {
      var restore = document.createElement('button');
      restore.type = 'button';
      restore.textContent = 'Restore the text you typed on ' + new Date(kept.at).toLocaleString();
      restore.addEventListener('click', function () {
        body.value = kept.body;
        document.getElementById('headline').value = kept.headline;
        dirty = true;
        restore.remove();
        say('Restored your unsaved text.');
      });
      form.insertBefore(restore, form.firstChild);
    }
  } catch (e) { /* storage may be off */ }

  function keep() {
    try {
      localStorage.setItem(key, JSON.stringify({
        version: version.value, body: body.value,
        headline: document.getElementById('headline').value, at: Date.now()
      }));
    } catch (e) { /* ignore */ }
  }

  form.addEventListener('input', function () { dirty = true; keep(); schedulePreview(); });

  function autosave() {
    if (!dirty || saving || form.getAttribute('action') === '/newsroom/stories') return;
    if (body.hasAttribute('readonly')) return;
    saving = true;
    dirty = false;
    var data = new URLSearchParams(new FormData(form));
    data.set('do', 'save');
    fetch(form.getAttribute('action'), {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: { 'Accept': 'application/json' }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (res) {
      saving = false;
      if (res.ok) {
        version.value = String(res.j.version);
        keep();
        say('Saved automatically at ' + new Date().toLocaleTimeString() + '.');
      } else {
        dirty = true;
        say(res.j.error || 'Not saved.');
      }
    }).catch(function () {
      saving = false;
      dirty = true;
      say('Not saved: no connection. Your text is kept in this browser.');
    });
  }
  setInterval(autosave, 10000);

  var timer = null;
  function schedulePreview() {
    if (!preview) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      var data = new URLSearchParams();
      data.set('csrf', csrf);
      data.set('body', body.value);
      fetch('/newsroom/preview', { method: 'POST', body: data, credentials: 'same-origin' })
        .then(function (r) {
          // A refused body (too long, nested too deeply) answers with the
          // reason as plain text: show it as text, never as markup.
          return r.text().then(function (t) { return { ok: r.ok, text: t }; });
        })
        .then(function (res) {
          if (res.ok) {
            preview.innerHTML = res.text;
          } else {
            var p = document.createElement('p');
            p.className = 'problem';
            p.textContent = res.text || 'The preview could not be made; your text is unchanged.';
            preview.replaceChildren(p);
          }
        })
        .catch(function () { /* keep the last preview */ });
    }, 400);
  }
  schedulePreview();
})();
