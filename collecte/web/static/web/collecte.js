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
