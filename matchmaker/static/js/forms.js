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
