// A small accessibility checker, evaluated in the page: returns a list of problems, [] when none.
// Checks what a screen-reader user trips over first: nameless controls and links, missing or repeated
// h1, images without alt, no main landmark, no page language, text too faint to read, duplicate ids
// (they break label[for]).
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
  // Text contrast (WCAG AA): 4.5:1, or 3:1 for large text, against the nearest opaque background.
  const rgba = (value) => {
    let m = value.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
    if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
    m = value.match(/^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.]+))?\)$/);
    if (m) return [m[1] * 255, m[2] * 255, m[3] * 255, m[4] === undefined ? 1 : +m[4]];
    return null;
  };
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const color = rgba(getComputedStyle(node).backgroundColor);
      if (color && color[3] >= 0.99) return color;
    }
    return [255, 255, 255, 1];
  };
  for (const el of document.querySelectorAll("body *")) {
    const ownText = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || !visible(el) || el.closest("[aria-hidden=true], .visually-hidden")) continue;
    const style = getComputedStyle(el);
    const fg = rgba(style.color);
    if (!fg || parseFloat(style.opacity) < 1) continue;
    const bg = background(el);
    // Blend a translucent text colour over its background, as the eye sees it.
    const seen = fg.slice(0, 3).map((c, i) => c * fg[3] + bg[i] * (1 - fg[3]));
    const [light, dark] = [luminance(seen), luminance(bg)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`contrast ${ratio.toFixed(2)}:1 too low: "${el.textContent.trim().slice(0, 40)}"`);
    }
  }
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, count] of Object.entries(ids)) {
    if (count > 1) problems.push(`id "${id}" used ${count} times`);
  }
  return problems;
}
