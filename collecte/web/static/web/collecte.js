// Copy buttons: <button data-copy="text">; the label says "Copié" for a moment.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = button.getAttribute("data-copy");
  try {
    // Some browsers leave writeText pending forever without a permission: give up after a second.
    await Promise.race([navigator.clipboard.writeText(text),
                        new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1000))]);
  } catch (e) {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand("copy"); area.remove();
  }
  const label = button.textContent;
  button.textContent = button.getAttribute("data-copied") || "Copié";
  setTimeout(() => { button.textContent = label; }, 1500);
});

// Upload drop zone: <div data-dropzone> around an <input type=file multiple>. The form works without this;
// here, files dropped anywhere on the zone go into the input, and their names are listed before sending.
document.addEventListener("DOMContentLoaded", () => {
  for (const zone of document.querySelectorAll("[data-dropzone]")) {
    const input = zone.querySelector("input[type=file]");
    const list = zone.querySelector("[data-dropzone-list]");
    const show = () => {
      if (!list) return;
      list.replaceChildren(...Array.from(input.files, (file) => {
        const item = document.createElement("li");
        item.textContent = file.name;
        return item;
      }));
    };
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("dragging"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      input.files = event.dataTransfer.files;
      show();
    });
    input.addEventListener("change", show);
  }
});

// Confirm before a destructive form: <form data-confirm="Question ?">.
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

// The review queue: Enter opens the first invoice; rows are links.
document.addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-href]");
  if (row && !event.target.closest("a, button, input")) window.location = row.dataset.href;
});

// The review screen: each field lights up where it was read on the page; the keyboard drives the form.
document.addEventListener("DOMContentLoaded", () => {
  const review = document.querySelector("[data-review]");
  if (!review) {
    const start = document.querySelector("[data-start-review]");
    if (start) document.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.target.closest("input, select, textarea, button, a")) window.location = start.href;
    });
    return;
  }
  const form = review.querySelector("[data-review-form]");
  const pagesBox = review.querySelector("[data-pages]");
  const pages = Array.from(review.querySelectorAll(".page[data-page]"));
  const label = review.querySelector("[data-page-label]");
  let zoom = 1, current = 1;
  const highlight = document.createElement("div");
  highlight.className = "highlight";
  highlight.hidden = true;

  const showPage = (n, scroll = true) => {
    current = Math.max(1, Math.min(pages.length, n));
    if (label) label.textContent = `${current} / ${pages.length}`;
    if (scroll && pages[current - 1]) pages[current - 1].scrollIntoView({ block: "start" });
  };
  const mark = (fieldBox) => {
    review.querySelectorAll(".field.active").forEach((f) => f.classList.remove("active"));
    fieldBox.classList.add("active");
    const page = pages.find((p) => p.dataset.page === fieldBox.dataset.page);
    if (!page || !fieldBox.dataset.bbox) { highlight.hidden = true; return; }
    const [x0, y0, x1, y1] = fieldBox.dataset.bbox.split(",").map(Number);
    const w = Number(page.dataset.width), h = Number(page.dataset.height);
    const pad = 2;
    Object.assign(highlight.style, {
      left: `${((x0 - pad) / w) * 100}%`, top: `${((y0 - pad) / h) * 100}%`,
      width: `${((x1 - x0 + 2 * pad) / w) * 100}%`, height: `${((y1 - y0 + 2 * pad) / h) * 100}%`,
    });
    highlight.classList.toggle("low", fieldBox.classList.contains("low"));
    highlight.dataset.field = fieldBox.dataset.field;
    page.appendChild(highlight);
    highlight.hidden = false;
    showPage(Number(page.dataset.page), false);
    highlight.scrollIntoView({ block: "center", behavior: "smooth" });
  };
  const inputs = Array.from(form.querySelectorAll(".field input:not([disabled]), .field select"));
  inputs.forEach((input) => input.addEventListener("focus", () => mark(input.closest(".field"))));
  const submit = (action) => {
    const button = form.querySelector(`button[value=${action}]`);
    if (button) form.requestSubmit(button);
  };
  document.addEventListener("keydown", (e) => {
    const inField = e.target.closest && e.target.closest("input, select, textarea");
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); submit("validate"); return; }
    if (e.altKey && e.key === "ArrowRight") { e.preventDefault(); submit("skip"); return; }
    if (e.altKey && (e.key === "r" || e.key === "R" || e.code === "KeyR")) { e.preventDefault(); submit("reject"); return; }
    if (e.altKey && e.key === "ArrowDown") { e.preventDefault(); showPage(current + 1); return; }
    if (e.altKey && e.key === "ArrowUp") { e.preventDefault(); showPage(current - 1); return; }
    if (inField && e.key === "Enter" && !e.shiftKey && form.contains(e.target)) {
      // Enter moves on, like a paper form: the last field leads to the validate button.
      e.preventDefault();
      const next = inputs[inputs.indexOf(e.target) + 1];
      if (next) next.focus(); else (form.querySelector("[data-validate]") || form.querySelector("button")).focus();
      return;
    }
    if (!inField && (e.key === "+" || e.key === "-")) {
      zoom = Math.max(0.5, Math.min(3, zoom + (e.key === "+" ? 0.25 : -0.25)));
      pagesBox.style.setProperty("--zoom", zoom);
    }
  });
  review.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => {
    zoom = Math.max(0.5, Math.min(3, zoom + 0.25 * Number(b.dataset.zoom)));
    pagesBox.style.setProperty("--zoom", zoom);
  }));
  const prev = review.querySelector("[data-page-prev]"), next = review.querySelector("[data-page-next]");
  if (prev) prev.addEventListener("click", () => showPage(current - 1));
  if (next) next.addEventListener("click", () => showPage(current + 1));
  // Start where the work is: the first field to check (with an error, else low confidence, else the first).
  const first = form.querySelector(".field.has-error input, .field.low input, .field.low select") || inputs[1] || inputs[0];
  if (first) first.focus();
});
