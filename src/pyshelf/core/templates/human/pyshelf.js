// pyshelf's human pages: the index URL in install lines, the filter of the root page, and the
// release description loaded beside the project page. Served from the bucket (CSP script-src
// 'self'); every page works without it.
(function () {
  'use strict';
  var origin = window.location.origin + '/';
  document.querySelectorAll('.index-url').forEach(function (el) { el.textContent = origin; });

  var list = document.getElementById('projects');
  var input = document.getElementById('filter');
  if (list && input) {
    var items = Array.prototype.slice.call(list.children).map(function (li) {
      return { li: li, text: li.textContent.toLowerCase() };
    });
    var shown = document.getElementById('shown');
    input.form.hidden = false;
    input.form.addEventListener('submit', function (e) { e.preventDefault(); });
    input.addEventListener('input', function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var count = 0;
      items.forEach(function (item) {
        var match = words.every(function (w) { return item.text.indexOf(w) !== -1; });
        item.li.hidden = !match;
        count += match ? 1 : 0;
      });
      shown.textContent = String(count);
    });
  }

  // The description is sanitised HTML written by the indexer; it is parsed as an inert
  // document and its body's nodes are moved in (no script runs: CSP allows none inline).
  document.querySelectorAll('.readme[data-src]').forEach(function (box) {
    fetch(box.getAttribute('data-src'), { credentials: 'same-origin' }).then(function (r) {
      return r.ok ? r.text() : Promise.reject(new Error(String(r.status)));
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var from = doc.querySelector('main') || doc.body;
      box.replaceChildren.apply(box, Array.prototype.slice.call(from.childNodes));
    }).catch(function () { /* the link to the description stays */ });
  });

  // A link to a release (#v1.1) opens it.
  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target && target.tagName === 'DETAILS') {
    target.open = true;
  }
}());
