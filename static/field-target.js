// A link from the completeness checks ends in the id of the field that fixes the problem
// (#line-12-factor, #material-5-quantity, #stage-7-electricity, #line-12-legs). The browser scrolls
// there; this opens the closed <details> around or at the target (transport legs load when opened)
// and puts the cursor in the field. Progressive enhancement: without it the page still scrolls.
(function () {
  "use strict";
  function target() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var element = id && document.getElementById(id);
    if (!element) return;
    if (element.tagName === "DETAILS") element.open = true;
    for (var parent = element.parentElement; parent; parent = parent.parentElement) {
      if (parent.tagName === "DETAILS") parent.open = true;
    }
    element.classList.add("targeted");
    if (typeof element.focus === "function") element.focus({ preventScroll: false });
  }
  document.addEventListener("DOMContentLoaded", target);
  window.addEventListener("hashchange", target);
})();
