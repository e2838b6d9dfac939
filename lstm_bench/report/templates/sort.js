document.addEventListener("click", function (event) {
  var th = event.target.closest ? event.target.closest("th.sortable") : null;
  if (!th) return;
  var body = th.closest("table").tBodies[0], col = th.cellIndex;
  var ascending = th.getAttribute("aria-sort") !== "ascending";
  Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute("aria-sort"); });
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  function key(row) {
    var cell = row.cells[col], text = cell ? (cell.getAttribute("data-sort") || cell.textContent) : "";
    var number = parseFloat(text);
    return /^\s*[-+]?(\d|\.\d)/.test(text) && !isNaN(number) ? number : text.toLowerCase();
  }
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = key(a), y = key(b), order;
    if (typeof x !== typeof y) order = typeof x === "number" ? -1 : 1;
    else order = x < y ? -1 : x > y ? 1 : 0;
    return ascending ? order : -order;
  });
  rows.forEach(function (row) { body.appendChild(row); });
});
