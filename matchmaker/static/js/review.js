/* The review loop's keyboard shortcuts and the queue's select-all box.
   Shortcuts are the elements marked data-shortcut="r" (recommend), "x" (focus the rejection
   reason) and "n" (next pair); they never fire while typing in a field. Without JavaScript
   every action is still a plain form or link, and "select all" is applied by the server. */
(function () {
  'use strict';

  function typing(target) {
    return target && (target.isContentEditable ||
      (target.closest && target.closest('input, textarea, select, [contenteditable]')));
  }

  document.addEventListener('keydown', function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey ||
        event.shiftKey || event.isComposing || typing(event.target)) {
      return;
    }
    var key = (event.key || '').toLowerCase();
    if (key.length !== 1) { return; }
    var target = document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) { return; }
    event.preventDefault();
    if (target.matches('select, input:not([type=submit]), textarea')) {
      target.focus();
    } else {
      target.click();
    }
  });

  var all = document.getElementById('select-all');
  if (all) {
    var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="ids"]'));
    all.addEventListener('change', function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) {
      box.addEventListener('change', function () {
        all.checked = boxes.every(function (b) { return b.checked; });
      });
    });
  }
}());
