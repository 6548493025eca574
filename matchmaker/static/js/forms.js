/* After a form comes back with errors, put the focus on the first invalid field, so that
   keyboard and screen-reader users land where the problem is (issue 10, point 8).
   Fields with errors carry aria-invalid="true" and aria-describedby pointing at the message,
   which the screen reader then reads. Without JavaScript the errors still sit beside the fields. */
(function () {
  'use strict';
  function focusFirstInvalid() {
    var field = document.querySelector('main [aria-invalid="true"]');
    if (field && typeof field.focus === 'function') {
      field.focus();
      if (field.scrollIntoView) { field.scrollIntoView({block: 'center'}); }
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', focusFirstInvalid);
  } else {
    focusFirstInvalid();
  }
}());

/* A panel marked data-fold-narrow (the queue's filters) starts folded on a phone, so the list
   comes first; it stays open when one of its fields has an error. */
(function () {
  'use strict';
  if (!window.matchMedia || !window.matchMedia('(max-width: 600px)').matches) { return; }
  var panels = document.querySelectorAll('details[data-fold-narrow]');
  for (var i = 0; i < panels.length; i++) {
    if (!panels[i].querySelector('[aria-invalid="true"], .errors')) { panels[i].open = false; }
  }
}());
