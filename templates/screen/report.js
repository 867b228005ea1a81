// The web page's behaviour (lab04/report/render.py puts it inside the page): sortable tables, the contents
// menu showing where the reader is, and the menu's toggle on a narrow screen. The page reads fully without it.
"use strict";

// -- sortable tables: a button in each column header; a second press reverses the order
function cellKey(row, column) {
  const cell = row.cells[column];
  const text = cell ? cell.textContent.trim() : "";
  // a number at the start ("0.9758 ± 0.0012", "401,920", "−0.0012"); anything else sorts as text, after numbers
  const match = text.replace(/,/g, "").replace(/^−/, "-").match(/^-?\d*\.?\d+(e[-+]?\d+)?/i);
  return match ? { number: parseFloat(match[0]), text } : { number: null, text };
}

function compareKeys(a, b) {
  if (a.number !== null && b.number !== null) return a.number - b.number;
  if (a.number !== null) return -1;
  if (b.number !== null) return 1;
  return a.text.localeCompare(b.text, undefined, { numeric: true });
}

function sortTable(table, column, header) {
  const descending = header.getAttribute("aria-sort") === "ascending";
  for (const th of table.tHead.rows[0].cells) th.removeAttribute("aria-sort");
  header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  // each body on its own (a group of published results stays apart); a total row stays last
  for (const body of table.tBodies) {
    const rows = Array.from(body.rows).filter((r) => !r.classList.contains("total") && !r.querySelector("th[scope=rowgroup]"));
    const keyed = rows.map((row, i) => ({ row, i, key: cellKey(row, column) }));
    keyed.sort((a, b) => (descending ? -1 : 1) * compareKeys(a.key, b.key) || a.i - b.i);
    const tail = Array.from(body.rows).filter((r) => r.classList.contains("total"));
    for (const { row } of keyed) body.appendChild(row);
    for (const row of tail) body.appendChild(row);
  }
}

for (const table of document.querySelectorAll("table.sortable")) {
  if (!table.tHead) continue;
  Array.from(table.tHead.rows[0].cells).forEach((th, column) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", () => sortTable(table, column, th));
  });
}

// -- the contents menu: the chapter and part in view are marked (aria-current), and kept visible in the menu
const nav = document.getElementById("contents");
const links = nav ? Array.from(nav.querySelectorAll("a[href^='#']")) : [];
const targets = links
  .map((link) => ({ link, target: document.getElementById(decodeURIComponent(link.hash.slice(1))) }))
  .filter((t) => t.target);

function markCurrent() {
  const line = 120; // px from the top of the window: a heading above it is where the reader is
  let current = null;
  for (const t of targets) {
    if (t.target.getBoundingClientRect().top <= line) current = t;
  }
  for (const t of targets) t.link.removeAttribute("aria-current");
  if (!current) return;
  current.link.setAttribute("aria-current", "location");
  const chapter = current.link.closest("ul ul") ? current.link.closest("ul ul").parentElement.querySelector("a") : null;
  if (chapter) chapter.setAttribute("aria-current", "true");
  const list = nav.querySelector("#toc-list");
  const box = current.link.getBoundingClientRect(), view = list.getBoundingClientRect();
  if (box.top < view.top || box.bottom > view.bottom) current.link.scrollIntoView({ block: "nearest" });
}

let pending = false;
window.addEventListener("scroll", () => {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; markCurrent(); });
}, { passive: true });
markCurrent();

// -- a narrow screen folds the menu behind a button; choosing an entry folds it again
const toggle = nav ? nav.querySelector(".toc-toggle") : null;
if (toggle) {
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });
  for (const link of links) {
    link.addEventListener("click", () => {
      toggle.setAttribute("aria-expanded", "false");
      nav.classList.remove("open");
    });
  }
}

// -- a table wider than a narrow screen scrolls sideways on its own; it takes the keyboard's focus to do so
function focusableWhenScrolling() {
  for (const table of document.querySelectorAll("main table")) {
    if (table.scrollWidth > table.clientWidth + 1) table.setAttribute("tabindex", "0");
    else table.removeAttribute("tabindex");
  }
}
window.addEventListener("resize", focusableWhenScrolling);
focusableWhenScrolling();
