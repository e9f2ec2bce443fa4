// A small accessibility checker, evaluated in the page: returns a list of problems, [] when none.
// Checks what a screen-reader user trips over first: nameless controls and links, missing or repeated
// h1, images without alt, no main landmark, no page language, duplicate ids (they break label[for]).
() => {
  const problems = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden" && el.getClientRects().length > 0;
  };
  const describe = (el) => el.outerHTML.slice(0, 120);
  const text = (el) => (el ? (el.innerText || el.textContent || "").trim() : "");
  const labelledBy = (el) =>
    (el.getAttribute("aria-labelledby") || "")
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => text(document.getElementById(id)))
      .join(" ")
      .trim();
  // Accessible name, roughly as the accname spec computes it (placeholder does not count).
  const nameOf = (el) => {
    const byAria = labelledBy(el) || (el.getAttribute("aria-label") || "").trim();
    if (byAria) return byAria;
    if (el.labels && el.labels.length) return Array.from(el.labels).map(text).join(" ").trim();
    if (el.matches("button, a, summary, [role=button], [role=link]")) {
      const inner = text(el) || Array.from(el.querySelectorAll("img[alt]")).map((i) => i.alt).join(" ");
      if (inner.trim()) return inner.trim();
    }
    if (el.matches("input[type=submit], input[type=button], input[type=reset]")) return el.value || "";
    if (el.matches("input[type=image]")) return el.alt || "";
    return (el.getAttribute("title") || "").trim();
  };

  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button, a[href], summary, [role=button]"
  );
  for (const el of controls) {
    if (visible(el) && !nameOf(el)) problems.push(`no accessible name: ${describe(el)}`);
  }
  const h1s = Array.from(document.querySelectorAll("h1")).filter(visible);
  if (h1s.length !== 1) problems.push(`${h1s.length} visible h1 elements (want exactly one)`);
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`image without alt: ${describe(img)}`);
  }
  if (document.querySelectorAll("main, [role=main]").length !== 1) problems.push("not exactly one main landmark");
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.trim()) problems.push("no <title>");
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, count] of Object.entries(ids)) {
    if (count > 1) problems.push(`id "${id}" used ${count} times`);
  }
  return problems;
}
