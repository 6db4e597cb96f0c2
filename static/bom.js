// Bill-of-materials grid: paste a column copied from a spreadsheet straight into a quantity cell,
// and the values fill that cell and the catalogue rows below it. Progressive enhancement only: the
// "paste a column" form on the page does the same on the server without JavaScript. Nothing is
// saved here; the user still saves the grid (or each row), where the server checks every value.
(function () {
  "use strict";
  document.addEventListener("paste", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("qty")) return;
    var text = (event.clipboardData || window.clipboardData).getData("text");
    if (!text || !/[\r\n]/.test(text.replace(/[\r\n]+$/, ""))) return; // one value: the browser pastes it
    var values = text.replace(/[\r\n]+$/, "").split(/\r\n|\r|\n/);
    var start = input.closest("tbody[data-order]");
    if (!start) return;
    event.preventDefault();
    var rows = Array.prototype.slice.call(document.querySelectorAll(".bom-grid tbody[data-order]"));
    var index = rows.indexOf(start);
    values.forEach(function (value, offset) {
      var row = rows[index + offset];
      if (!row) return;
      var cell = row.querySelector("input.qty");
      var cleaned = value.split("\t")[0].trim();
      if (cell && !cell.disabled && cleaned !== "") {
        cell.value = cleaned;
        cell.classList.add("pasted");
      }
    });
  });
})();
