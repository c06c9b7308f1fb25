// Progressive enhancement only: every page works without this file.
// Renders TeX in elements marked data-math with the bundled KaTeX.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.renderMathInElement !== "function") return;
  const options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  };
  for (const element of document.querySelectorAll("[data-math]")) {
    window.renderMathInElement(element, options);
  }
});
