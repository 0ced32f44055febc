// The "Print this page" button on the printable care plan: shown only where this script runs
// (the page also says how to print without it).
for (const holder of document.querySelectorAll("[data-print-button]")) {
  holder.hidden = false;
  holder.querySelector("button").addEventListener("click", () => window.print());
}
