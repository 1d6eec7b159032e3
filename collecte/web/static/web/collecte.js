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
